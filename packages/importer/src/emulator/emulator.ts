/**
 * The HealthImaging stand-in: import jobs with the service's states, quotas and idempotency, and an
 * import that really reads the input prefix, parses every object and writes the documented output.
 * The HTTP layer (server.ts) only maps requests to these methods.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { getObjectBytes, listObjects, parseS3Uri, putJson, putObjectText } from '../s3/objects.ts';
import {
  FAILURE_NDJSON,
  JOB_OUTPUT_MANIFEST,
  SUCCESS_NDJSON,
  jobOutputFolderUri,
  toNdjson,
  type FailureLine,
  type JobOutputManifest,
  type SuccessLine,
} from '../healthimaging/job-output.ts';
import { errorMessage, jsonLogger, type Logger } from '../log.ts';
import { ServiceError } from './errors.ts';
import { ImageSetStore, newId, type ImageSet, type StoredInstance } from './image-sets.ts';
import { readDicomInstance } from './dicom-reader.ts';
import { TokenBucket } from './rate-limiter.ts';
import { validateStartRequest, type StartRequest } from './validation.ts';
import type { ImportJobStatus } from '../pipeline/types.ts';

export interface EmulatorOptions {
  /** Where input prefixes are read and job output is written (s3rver locally). */
  s3: S3Client;
  /** Data stores that exist; one random ID by default. */
  datastoreIds?: string[];
  /** Per-job and per-data-store quotas (HealthImaging's documented defaults). */
  maxFilesPerJob?: number;
  maxBytesPerJob?: number;
  maxConcurrentJobs?: number;
  /** StartDICOMImportJob rate: `burst` at once, then `perSecond`. */
  startRate?: { perSecond: number; burst: number };
  /** 'auto' imports each job as soon as it is submitted; 'manual' waits for beginPending/completeInProgress (tests). */
  processing?: 'auto' | 'manual';
  now?: () => number;
  log?: Logger;
}

export interface EmulatedJob {
  jobId: string;
  jobName: string;
  jobStatus: ImportJobStatus;
  datastoreId: string;
  dataAccessRoleArn: string;
  inputS3Uri: string;
  outputS3Uri: string;
  submittedAt: Date;
  endedAt?: Date;
  message?: string;
  /** The start request, to tell an idempotent retry from a clientToken reused for something else. */
  request: StartRequest;
}

/** The debug view of an image set: enough for a test to check where every instance landed. */
export interface ImageSetView {
  imageSetId: string;
  datastoreId: string;
  studyInstanceUID: string;
  version: number;
  sopInstanceUIDs: string[];
}

/** Objects bigger than this are read by range: the header is all the import needs to look at. */
const FULL_READ_LIMIT = 32 * 1024 * 1024;
const HEADER_READ_BYTES = 4 * 1024 * 1024;

export class HealthImagingEmulator {
  readonly datastoreIds: readonly string[];
  private readonly imageSets = new ImageSetStore();
  private readonly jobs = new Map<string, EmulatedJob>();
  private readonly byClientToken = new Map<string, EmulatedJob>();
  private readonly limiter: TokenBucket;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly s3: S3Client;
  private readonly maxFilesPerJob: number;
  private readonly maxBytesPerJob: number;
  private readonly maxConcurrentJobs: number;
  private readonly processing: 'auto' | 'manual';
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(o: EmulatorOptions) {
    this.s3 = o.s3;
    this.datastoreIds = o.datastoreIds ?? [newId()];
    this.maxFilesPerJob = o.maxFilesPerJob ?? 5000;
    this.maxBytesPerJob = o.maxBytesPerJob ?? 10 * 1000 ** 3;
    this.maxConcurrentJobs = o.maxConcurrentJobs ?? 100;
    this.processing = o.processing ?? 'auto';
    this.now = o.now ?? Date.now;
    this.log = o.log ?? jsonLogger;
    const rate = o.startRate ?? { perSecond: 1, burst: 2 };
    this.limiter = new TokenBucket(rate.perSecond, rate.burst, this.now);
  }

  startDICOMImportJob(datastoreId: string, body: unknown) {
    const request = validateStartRequest(body);
    this.requireDatastore(datastoreId);
    if (!this.limiter.tryTake()) throw new ServiceError('ThrottlingException', 'Rate exceeded for StartDICOMImportJob');
    const tokenKey = `${datastoreId}/${request.clientToken}`;
    const earlier = this.byClientToken.get(tokenKey);
    if (earlier) {
      if (JSON.stringify(earlier.request) !== JSON.stringify(request)) {
        throw new ServiceError('ConflictException', `clientToken ${request.clientToken} was already used with different parameters`);
      }
      return startResponse(earlier);
    }
    const active = [...this.jobs.values()].filter((j) => j.datastoreId === datastoreId && !isEnded(j.jobStatus)).length;
    if (active >= this.maxConcurrentJobs) {
      throw new ServiceError('ServiceQuotaExceededException', `Maximum of ${this.maxConcurrentJobs} concurrent import jobs per data store reached`);
    }
    const jobId = newId();
    const job: EmulatedJob = {
      jobId,
      jobName: request.jobName ?? jobId,
      jobStatus: 'SUBMITTED',
      datastoreId,
      dataAccessRoleArn: request.dataAccessRoleArn,
      inputS3Uri: request.inputS3Uri,
      outputS3Uri: request.outputS3Uri,
      submittedAt: new Date(this.now()),
      request,
    };
    this.jobs.set(jobId, job);
    this.byClientToken.set(tokenKey, job);
    if (this.processing === 'auto') {
      this.track(
        new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
          job.jobStatus = 'IN_PROGRESS';
          return this.runImport(job);
        }),
      );
    }
    return startResponse(job);
  }

  getDICOMImportJob(datastoreId: string, jobId: string) {
    this.requireDatastore(datastoreId);
    const job = this.jobs.get(jobId);
    if (!job || job.datastoreId !== datastoreId) throw new ServiceError('ResourceNotFoundException', `Import job ${jobId} not found`);
    return { jobProperties: { ...summary(job), inputS3Uri: job.inputS3Uri, outputS3Uri: job.outputS3Uri } };
  }

  listDICOMImportJobs(datastoreId: string, q: { jobStatus?: string; maxResults: number; nextToken?: string }) {
    this.requireDatastore(datastoreId);
    const start = q.nextToken === undefined ? 0 : Number(Buffer.from(q.nextToken, 'base64url').toString());
    if (!Number.isInteger(start) || start < 0) throw new ServiceError('ValidationException', 'invalid nextToken');
    const all = [...this.jobs.values()]
      .filter((j) => j.datastoreId === datastoreId && (q.jobStatus === undefined || j.jobStatus === q.jobStatus))
      .sort((a, b) => b.submittedAt.getTime() - a.submittedAt.getTime());
    const page = all.slice(start, start + q.maxResults);
    const next = start + page.length < all.length ? Buffer.from(String(start + page.length)).toString('base64url') : undefined;
    return { jobSummaries: page.map(summary), ...(next ? { nextToken: next } : {}) };
  }

  /** Manual mode: moves every SUBMITTED job to IN_PROGRESS; returns their IDs. */
  beginPending(): string[] {
    const begun = [...this.jobs.values()].filter((j) => j.jobStatus === 'SUBMITTED');
    for (const job of begun) job.jobStatus = 'IN_PROGRESS';
    return begun.map((j) => j.jobId);
  }

  /** Manual mode: imports every IN_PROGRESS job to its end. */
  async completeInProgress(): Promise<void> {
    await Promise.all([...this.jobs.values()].filter((j) => j.jobStatus === 'IN_PROGRESS').map((j) => this.track(this.runImport(j))));
  }

  /** Resolves when no import is running (auto mode). */
  async whenIdle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  imageSetViews(): ImageSetView[] {
    return this.imageSets.list().map((s: ImageSet) => ({
      imageSetId: s.imageSetId,
      datastoreId: s.datastoreId,
      studyInstanceUID: s.studyInstanceUID,
      version: s.version,
      sopInstanceUIDs: [...s.instances.keys()],
    }));
  }

  private requireDatastore(datastoreId: string) {
    if (!this.datastoreIds.includes(datastoreId)) throw new ServiceError('ResourceNotFoundException', `Data store ${datastoreId} not found`);
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    return p.finally(() => this.inFlight.delete(p));
  }

  private async runImport(job: EmulatedJob): Promise<void> {
    try {
      const failure = await this.importFiles(job);
      this.end(job, failure === undefined ? 'COMPLETED' : 'FAILED', failure);
    } catch (err) {
      this.end(job, 'FAILED', `Internal error: ${errorMessage(err)}`);
    }
  }

  /** Imports the job's prefix; returns why the whole job failed, or undefined when it completed. */
  private async importFiles(job: EmulatedJob): Promise<string | undefined> {
    const input = parseS3Uri(job.inputS3Uri);
    let objects;
    try {
      objects = (await listObjects(this.s3, input.bucket, input.key)).filter((o) => !o.key.endsWith('/'));
    } catch (err) {
      return `Unable to access the input S3 location ${job.inputS3Uri}: ${errorMessage(err)}`;
    }
    if (objects.length === 0) return `No files found in the input S3 location ${job.inputS3Uri}`;
    const bytes = objects.reduce((n, o) => n + o.size, 0);
    if (objects.length > this.maxFilesPerJob) return `The import job has ${objects.length} files, more than the quota of ${this.maxFilesPerJob} files per job`;
    if (bytes > this.maxBytesPerJob) return `The import job has ${bytes} bytes, more than the quota of ${this.maxBytesPerJob} bytes per job`;

    const good: StoredInstance[] = [];
    const failures: FailureLine[] = [];
    let serverErrors = 0;
    for (const o of objects) {
      const truncated = o.size > FULL_READ_LIMIT;
      let data: Uint8Array;
      try {
        data = await getObjectBytes(this.s3, input.bucket, o.key, truncated ? HEADER_READ_BYTES : undefined);
      } catch (err) {
        serverErrors += 1;
        failures.push({ inputFile: o.key, exception: { exceptionType: 'InternalServerException', message: `Unable to read the file: ${errorMessage(err)}` } });
        continue;
      }
      const read = readDicomInstance(data, truncated);
      if (read.ok) good.push({ ...read.instance, inputFile: o.key });
      else failures.push({ inputFile: o.key, exception: { exceptionType: 'ValidationException', message: read.message } });
    }

    const setOf = this.imageSets.applyJob(job.datastoreId, good, new Date(this.now()));
    const successes: SuccessLine[] = good.map((inst) => {
      const set = setOf.get(inst)!;
      return { inputFile: inst.inputFile, importResponse: { imageSetId: set.imageSetId, imageSetVersion: set.version, isPrimary: true } };
    });
    const sets = [...new Set(setOf.values())];
    const folderUri = jobOutputFolderUri(job.outputS3Uri, job.datastoreId, job.jobId);
    const manifest: JobOutputManifest = {
      jobSummary: {
        jobId: job.jobId,
        datastoreId: job.datastoreId,
        inputS3Uri: job.inputS3Uri,
        outputS3Uri: folderUri,
        successOutputS3Uri: `${folderUri}SUCCESS/`,
        failureOutputS3Uri: `${folderUri}FAILURE/`,
        numberOfScannedFiles: objects.length,
        numberOfImportedFiles: good.length,
        numberOfFilesWithCustomerError: failures.length - serverErrors,
        numberOfFilesWithServerError: serverErrors,
        numberOfGeneratedImageSets: sets.length,
        imageSetsSummary: sets.map((s) => ({
          imageSetId: s.imageSetId,
          imageSetVersion: s.version,
          isPrimary: true,
          numberOfMatchedSOPInstances: good.filter((i) => setOf.get(i) === s).length,
        })),
      },
    };
    const folder = parseS3Uri(folderUri);
    try {
      await putObjectText(this.s3, folder.bucket, folder.key + SUCCESS_NDJSON, toNdjson(successes), 'application/x-ndjson');
      await putObjectText(this.s3, folder.bucket, folder.key + FAILURE_NDJSON, toNdjson(failures), 'application/x-ndjson');
      // The manifest last: a reader that finds it finds the ndjson files too.
      await putJson(this.s3, folder.bucket, folder.key + JOB_OUTPUT_MANIFEST, manifest);
    } catch (err) {
      return `Unable to write to the output S3 location ${job.outputS3Uri}: ${errorMessage(err)}`;
    }
    return undefined;
  }

  private end(job: EmulatedJob, status: 'COMPLETED' | 'FAILED', message: string | undefined) {
    job.jobStatus = status;
    job.endedAt = new Date(this.now());
    if (message !== undefined) job.message = message;
    this.log(status === 'FAILED' ? 'warn' : 'info', 'emulated import job ended', { jobId: job.jobId, jobStatus: status, message });
  }
}

const isEnded = (s: ImportJobStatus) => s === 'COMPLETED' || s === 'FAILED';

/** Timestamps go out as epoch seconds, restJson1's default for body members. */
const epochSeconds = (d: Date) => d.getTime() / 1000;

function startResponse(job: EmulatedJob) {
  return { datastoreId: job.datastoreId, jobId: job.jobId, jobStatus: job.jobStatus, submittedAt: epochSeconds(job.submittedAt) };
}

function summary(job: EmulatedJob) {
  return {
    jobId: job.jobId,
    jobName: job.jobName,
    jobStatus: job.jobStatus,
    datastoreId: job.datastoreId,
    dataAccessRoleArn: job.dataAccessRoleArn,
    submittedAt: epochSeconds(job.submittedAt),
    ...(job.endedAt ? { endedAt: epochSeconds(job.endedAt) } : {}),
    ...(job.message !== undefined ? { message: job.message } : {}),
  };
}
