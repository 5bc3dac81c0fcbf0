/**
 * StartImportJob: one StartDICOMImportJob per prepared job, then the job's row in the jobs table.
 * The clientToken is a hash of the input URI, so a retried or repeated start returns the same job.
 */
import { createHash } from 'node:crypto';
import { StartDICOMImportJobCommand } from '@aws-sdk/client-medical-imaging';
import { IMPORTER_METRICS } from '../metrics-catalog.ts';
import { emitMetric } from '../metrics/emf.ts';
import { asStateMachineError } from './retryable-errors.ts';
import type { PipelineDeps } from './deps.ts';
import type { ImportJobStatus, PreparedJob, StartedJob } from './types.ts';

/** 64 hex characters: HealthImaging's clientToken allows up to 64 of [A-Za-z0-9._-]. */
export const clientTokenFor = (inputS3Uri: string) => createHash('sha256').update(inputS3Uri).digest('hex');

/** Readable in the console: the batch, then enough of the token to tell its studies apart (≤ 64 chars). */
const jobNameFor = (job: PreparedJob, token: string) => `${job.batchId.slice(0, 47)}-${token.slice(0, 16)}`;

type StartDeps = Pick<PipelineDeps, 'medicalImaging' | 'jobsTable' | 'config' | 'metrics'>;

export async function startImportJob(deps: StartDeps, job: PreparedJob): Promise<StartedJob> {
  const { datastoreId, dataAccessRoleArn, outputS3Uri } = deps.config;
  const clientToken = clientTokenFor(job.inputS3Uri);
  let started;
  try {
    started = await deps.medicalImaging.send(
      new StartDICOMImportJobCommand({
        datastoreId,
        dataAccessRoleArn,
        inputS3Uri: job.inputS3Uri,
        outputS3Uri,
        clientToken,
        jobName: jobNameFor(job, clientToken),
      }),
    );
  } catch (err) {
    throw asStateMachineError(err);
  }
  const jobId = started.jobId!;
  const status = (started.jobStatus ?? 'SUBMITTED') as ImportJobStatus;
  await deps.jobsTable.put({
    jobId,
    jobStatus: status,
    submittedAt: (started.submittedAt ?? new Date()).toISOString(),
    inputS3Uri: job.inputS3Uri,
    outputS3Uri,
    datastoreId,
    dataAccessRoleArn,
    studyDate: job.studyDate,
    studyInstanceUID: job.studyInstanceUID,
    ...(job.seriesInstanceUID ? { seriesInstanceUID: job.seriesInstanceUID } : {}),
    ...(job.sopInstanceUID ? { sopInstanceUID: job.sopInstanceUID } : {}),
    endedAt: '',
    message: '',
    batchId: job.batchId,
    instanceCount: job.instanceCount,
    bytes: job.bytes,
  });
  emitMetric(deps.metrics, IMPORTER_METRICS.importJobs, 1, { status });
  return { ...job, jobId, datastoreId, status };
}
