/**
 * TriggerImport, both of its jobs:
 * - on the S3 event of a closed batch manifest: validate it, plan its jobs, start the batch's
 *   execution (named after the batch, so a repeated event starts nothing new);
 * - inside the state machine's Map (`{ action: 'prepare', job }`): check the job's input prefix is
 *   still importable before StartImportJob spends a start on it.
 */
import { BATCH_MAX_BYTES, BATCH_MAX_FILES, MANIFEST_DIR, executionNameForBatch } from '@storescp/workers/layout';
import { getObjectText, listObjects, parseS3Uri } from '../s3/objects.ts';
import { errorMessage } from '../log.ts';
import { parseBatchManifest } from './manifest.ts';
import { planImportJobs } from './plan-jobs.ts';
import { MAX_EXECUTION_INPUT_BYTES, type StartOutcome } from './executions.ts';
import type { PipelineDeps } from './deps.ts';
import type { ExecutionInput, ImportJobSpec, PreparedJob } from './types.ts';

/** The part of an S3 event notification TriggerImport reads. */
export interface S3EventLike {
  Records: Array<{ eventName?: string; s3: { bucket: { name: string }; object: { key: string } } }>;
}

export interface PrepareRequest {
  action: 'prepare';
  job: ImportJobSpec;
}

export interface BatchTriggered {
  manifestKey: string;
  executionName: string;
  jobs: number;
  outcome: StartOutcome | 'no-jobs';
}

type TriggerDeps = Pick<PipelineDeps, 's3' | 'executions' | 'config' | 'log'>;

/** The Lambda's entry point: routes an S3 event or a prepare request. */
export function triggerImport(deps: TriggerDeps, event: S3EventLike | PrepareRequest): Promise<BatchTriggered[] | PreparedJob> {
  if ('action' in event && event.action === 'prepare') return prepareJob(deps, event.job);
  if ('Records' in event && Array.isArray(event.Records)) return onManifestEvent(deps, event);
  throw new Error(`TriggerImport: unrecognised event ${JSON.stringify(event).slice(0, 300)}`);
}

/**
 * Handles every manifest in the event; if any fails, the others are still started and the
 * invocation then fails naming the bad ones (so S3's retry and the Lambda's failure destination see
 * it; retrying the good ones is harmless, their executions already exist).
 */
export async function onManifestEvent(deps: TriggerDeps, event: S3EventLike): Promise<BatchTriggered[]> {
  const done: BatchTriggered[] = [];
  const failed: string[] = [];
  for (const record of event.Records) {
    const key = createdManifestKey(record, deps.config.dicomPrefix);
    if (key === undefined) continue;
    try {
      done.push(await triggerBatch(deps, record.s3.bucket.name, key));
    } catch (err) {
      deps.log('error', 'batch manifest not imported', { bucket: record.s3.bucket.name, manifestKey: key, error: errorMessage(err) });
      failed.push(`${key}: ${errorMessage(err)}`);
    }
  }
  if (failed.length > 0) throw new Error(`TriggerImport could not start ${failed.length} batch(es): ${failed.join(' | ')}`);
  return done;
}

/** The manifest key an S3 event record announces, or undefined when it is not a created manifest. */
export function createdManifestKey(record: S3EventLike['Records'][number], prefix: string): string | undefined {
  // S3 event keys are URL-encoded, with "+" for spaces.
  const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
  const isManifest = key.startsWith(MANIFEST_DIR(prefix)) && key.endsWith('.json');
  return record.eventName?.startsWith('ObjectCreated') && isManifest ? key : undefined;
}

export async function triggerBatch(deps: TriggerDeps, bucket: string, manifestKey: string): Promise<BatchTriggered> {
  const manifest = parseBatchManifest(await getObjectText(deps.s3, bucket, manifestKey), manifestKey);
  const jobs = planImportJobs(manifest, bucket);
  const executionName = executionNameForBatch(manifest.batchId);
  if (jobs.length === 0) {
    deps.log('warn', 'batch manifest lists no instances; nothing to import', { manifestKey, batchId: manifest.batchId });
    return { manifestKey, executionName, jobs: 0, outcome: 'no-jobs' };
  }
  const input: ExecutionInput = { batchId: manifest.batchId, bucket, manifestKey, jobs };
  const size = Buffer.byteLength(JSON.stringify(input));
  if (size > MAX_EXECUTION_INPUT_BYTES) {
    throw new Error(`batch ${manifest.batchId} plans ${jobs.length} jobs, ${size} bytes of execution input, over Step Functions' ${MAX_EXECUTION_INPUT_BYTES}`);
  }
  const outcome = await deps.executions.start(executionName, input);
  deps.log('info', 'batch import triggered', { manifestKey, batchId: manifest.batchId, executionName, jobs: jobs.length, outcome });
  return { manifestKey, executionName, jobs: jobs.length, outcome };
}

/** Lists the job's prefix: it must hold files, and no more than one job's quota. */
export async function prepareJob(deps: Pick<PipelineDeps, 's3'>, job: ImportJobSpec): Promise<PreparedJob> {
  const { bucket, key } = parseS3Uri(job.inputS3Uri);
  if (!key.endsWith('/')) throw importInputError(`inputS3Uri ${job.inputS3Uri} must end in "/"`);
  const objects = await listObjects(deps.s3, bucket, key);
  const bytes = objects.reduce((n, o) => n + o.size, 0);
  if (objects.length === 0) throw importInputError(`no objects under ${job.inputS3Uri}`);
  if (objects.length > BATCH_MAX_FILES || bytes > BATCH_MAX_BYTES) {
    throw importInputError(`${job.inputS3Uri} holds ${objects.length} files / ${bytes} bytes, over one import job's quota`);
  }
  return { ...job, listedFiles: objects.length, listedBytes: bytes };
}

/** Not retried by the state machine: the prefix will not fix itself. */
function importInputError(message: string): Error {
  return Object.assign(new Error(message), { name: 'ImportInputInvalid' });
}
