/**
 * What the pipeline's functions need from the outside, passed in so the Lambdas (built from the
 * environment), the local runner and the tests can each supply their own.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { MedicalImagingClient } from '@aws-sdk/client-medical-imaging';
import type { JobsTable } from '../jobs/table.ts';
import type { Logger } from '../log.ts';
import type { MetricSink } from '../metrics/emf.ts';
import type { ExecutionStarter } from './executions.ts';

export interface PipelineConfig {
  /** The DICOM bucket and the storage prefix ("" or "some/prefix/") the SCP writes under. */
  dicomBucket: string;
  dicomPrefix: string;
  datastoreId: string;
  dataAccessRoleArn: string;
  /** Shared results location for every job, ending in "/". */
  outputS3Uri: string;
  /** A batch's open marker this old, with no manifest and no recent data, was left by a dead task. */
  sweepAgeSeconds: number;
}

export interface PipelineDeps {
  config: PipelineConfig;
  s3: S3Client;
  medicalImaging: MedicalImagingClient;
  jobsTable: JobsTable;
  executions: ExecutionStarter;
  log: Logger;
  metrics: MetricSink;
}
