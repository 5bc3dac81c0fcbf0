/**
 * CheckStatus: polls GetDICOMImportJob; when the job has ended, reads its output manifest and
 * failure list and records them on the job's row. COMPLETED is not success by itself: the counters
 * and failed files on the row say how many files HealthImaging refused.
 */
import { GetDICOMImportJobCommand } from '@aws-sdk/client-medical-imaging';
import { IMPORTER_METRICS } from '../metrics-catalog.ts';
import { emitMetric } from '../metrics/emf.ts';
import { getObjectTextIfExists, parseS3Uri } from '../s3/objects.ts';
import {
  FAILURE_NDJSON,
  JOB_OUTPUT_MANIFEST,
  jobOutputFolderUri,
  parseNdjson,
  type FailureLine,
  type JobOutputManifest,
  type JobSummary,
} from '../healthimaging/job-output.ts';
import type { FailedFile } from '../jobs/table.ts';
import { asStateMachineError } from './retryable-errors.ts';
import type { PipelineDeps } from './deps.ts';
import type { ImportJobStatus, StartedJob } from './types.ts';

/** Failed files kept on a row: enough to act on, well inside DynamoDB's 400 KB item limit. */
export const MAX_FAILED_FILES = 100;
const MAX_REASON_CHARS = 500;

export interface CheckedJob extends StartedJob {
  numberOfScannedFiles?: number;
  numberOfImportedFiles?: number;
  numberOfFailedFiles?: number;
}

type CheckDeps = Pick<PipelineDeps, 'medicalImaging' | 'jobsTable' | 's3' | 'config' | 'metrics' | 'log'>;

export async function checkImportStatus(deps: CheckDeps, job: StartedJob): Promise<CheckedJob> {
  let props;
  try {
    ({ jobProperties: props } = await deps.medicalImaging.send(new GetDICOMImportJobCommand({ datastoreId: job.datastoreId, jobId: job.jobId })));
  } catch (err) {
    // GetDICOMImportJob throttles too; the state machine retries CheckStatus on the same names.
    throw asStateMachineError(err);
  }
  const status = (props?.jobStatus ?? job.status) as ImportJobStatus;
  if (status !== 'COMPLETED' && status !== 'FAILED') {
    if (status !== job.status) await deps.jobsTable.update(job.jobId, { jobStatus: status });
    return { ...job, status };
  }

  const output = await readJobOutput(deps, props?.outputS3Uri ?? deps.config.outputS3Uri, job);
  const s = output.summary;
  const failedCount = s ? s.numberOfFilesWithCustomerError + s.numberOfFilesWithServerError : output.failedFiles.length;
  await deps.jobsTable.update(job.jobId, {
    jobStatus: status,
    endedAt: (props?.endedAt ?? new Date()).toISOString(),
    message: props?.message ?? describe(status, s),
    ...(s
      ? {
          numberOfScannedFiles: s.numberOfScannedFiles,
          numberOfImportedFiles: s.numberOfImportedFiles,
          numberOfFilesWithCustomerError: s.numberOfFilesWithCustomerError,
          numberOfFilesWithServerError: s.numberOfFilesWithServerError,
        }
      : {}),
    failedFiles: output.failedFiles,
    failedFilesTruncated: output.truncated,
  });
  emitMetric(deps.metrics, IMPORTER_METRICS.importJobs, 1, { status });
  if (failedCount > 0) emitMetric(deps.metrics, IMPORTER_METRICS.importFilesFailed, failedCount);
  if (status === 'FAILED' || failedCount > 0) {
    deps.log('warn', 'import job ended with failures', { jobId: job.jobId, jobStatus: status, failedFiles: failedCount, message: props?.message });
  }
  return {
    ...job,
    status,
    ...(s ? { numberOfScannedFiles: s.numberOfScannedFiles, numberOfImportedFiles: s.numberOfImportedFiles } : {}),
    numberOfFailedFiles: failedCount,
  };
}

interface JobOutput {
  /** Absent when the job failed before writing output (e.g. an empty or unreadable prefix). */
  summary: JobSummary | undefined;
  failedFiles: FailedFile[];
  truncated: boolean;
}

async function readJobOutput(deps: Pick<CheckDeps, 's3'>, outputS3Uri: string, job: StartedJob): Promise<JobOutput> {
  const folder = parseS3Uri(jobOutputFolderUri(outputS3Uri, job.datastoreId, job.jobId));
  const [manifestText, failureText] = await Promise.all([
    getObjectTextIfExists(deps.s3, folder.bucket, folder.key + JOB_OUTPUT_MANIFEST),
    getObjectTextIfExists(deps.s3, folder.bucket, folder.key + FAILURE_NDJSON),
  ]);
  const lines = failureText === undefined ? [] : parseNdjson<FailureLine>(failureText);
  return {
    summary: manifestText === undefined ? undefined : (JSON.parse(manifestText) as JobOutputManifest).jobSummary,
    failedFiles: lines.slice(0, MAX_FAILED_FILES).map((l) => ({
      inputFile: l.inputFile,
      exceptionType: l.exception?.exceptionType ?? 'Unknown',
      message: (l.exception?.message ?? '').slice(0, MAX_REASON_CHARS),
    })),
    truncated: lines.length > MAX_FAILED_FILES,
  };
}

function describe(status: ImportJobStatus, s: JobSummary | undefined): string {
  if (!s) return status === 'FAILED' ? 'Import job failed before writing its output' : 'Import job completed';
  const failed = s.numberOfFilesWithCustomerError + s.numberOfFilesWithServerError;
  return `Imported ${s.numberOfImportedFiles} of ${s.numberOfScannedFiles} files; ${failed} failed`;
}
