/**
 * The Lambdas' configuration and clients, from the environment the CDK stack sets. Each is built on
 * first use and kept for the life of the container; a missing variable fails with its name.
 */
import { JobsTable } from '../jobs/table.ts';
import { makeDocumentClient, makeDynamoClient, makeMedicalImagingClient, makeS3Client, makeSfnClient } from '../aws/clients.ts';
import { stepFunctionsStarter } from '../pipeline/executions.ts';
import { jsonLogger } from '../log.ts';
import { stdoutSink } from '../metrics/emf.ts';
import type { PipelineConfig, PipelineDeps } from '../pipeline/deps.ts';

export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}

const once = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
};

/** Reads only the variables a handler actually uses, so each Lambda needs only its own. */
function lazyConfig(env: NodeJS.ProcessEnv): PipelineConfig {
  return {
    get dicomBucket() {
      return requireEnv('DICOM_BUCKET', env);
    },
    get dicomPrefix() {
      return env['DICOM_PREFIX'] ?? '';
    },
    get datastoreId() {
      return requireEnv('DATASTORE_ID', env);
    },
    get dataAccessRoleArn() {
      return requireEnv('DATA_ACCESS_ROLE_ARN', env);
    },
    get outputS3Uri() {
      const uri = requireEnv('OUTPUT_S3_URI', env);
      if (!/^s3:\/\/.+\/$/.test(uri)) throw new Error(`OUTPUT_S3_URI must be an s3:// URI ending in "/" (got ${uri})`);
      return uri;
    },
    get sweepAgeSeconds() {
      const n = Number(requireEnv('SWEEP_AGE_SECONDS', env));
      if (!Number.isFinite(n) || n <= 0) throw new Error(`SWEEP_AGE_SECONDS must be a positive number of seconds`);
      return n;
    },
  };
}

export function depsFromEnv(env: NodeJS.ProcessEnv = process.env): PipelineDeps {
  const s3 = once(() => makeS3Client({ endpoint: env['S3_ENDPOINT'] }));
  // One attempt: throttling must reach the state machine, which retries with backoff and jitter.
  const medicalImaging = once(() => makeMedicalImagingClient({ endpoint: env['MEDICAL_IMAGING_ENDPOINT'], maxAttempts: 1 }));
  const jobsTable = once(
    () => new JobsTable(makeDocumentClient(makeDynamoClient({ endpoint: env['DYNAMODB_ENDPOINT'] })), requireEnv('JOBS_TABLE', env)),
  );
  const executions = once(() => stepFunctionsStarter(makeSfnClient({ endpoint: env['SFN_ENDPOINT'] }), requireEnv('STATE_MACHINE_ARN', env)));
  return {
    config: lazyConfig(env),
    get s3() {
      return s3();
    },
    get medicalImaging() {
      return medicalImaging();
    },
    get jobsTable() {
      return jobsTable();
    },
    get executions() {
      return executions();
    },
    log: jsonLogger,
    metrics: stdoutSink,
  };
}

/** The container's dependencies, made on the first invocation. */
export const containerDeps = once(() => depsFromEnv());
