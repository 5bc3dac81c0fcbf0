/**
 * The whole product on one machine: the SCP storing through its S3 sink into s3rver, and the
 * import pipeline (dynalite, the HealthImaging emulator, the synthesized state machine) started
 * by the manifests the SCP writes. The same code paths as on AWS, with local endpoints.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig, startScp, type RunningScp } from '@storescp/scp-core';
import { startLocalPipeline, type LocalPipeline, type LocalPipelineOptions } from './pipeline.ts';
import { startS3rver, type RunningS3rver } from './s3rver.ts';

export interface LocalStackOptions {
  /** Everything persistent lives here: s3rver's objects, dynalite's tables, the endpoints file. */
  dataDir: string;
  /** storescp flags (port, AE title, limits…); storage is set by the stack. */
  scpArgs?: string[];
  bucket?: string;
  pipeline?: Partial<LocalPipelineOptions>;
}

export interface LocalStack {
  scp: RunningScp;
  s3: RunningS3rver;
  pipeline: LocalPipeline;
  bucket: string;
  stop(): Promise<void>;
}

/** Written to {dataDir}/local-stack.json so `pnpm jobs` finds the running stack. */
export interface LocalStackEndpoints {
  dicom: string;
  aeTitle: string;
  s3: string;
  bucket: string;
  dynamodb: string;
  tableName: string;
  healthImaging: string;
  datastoreId: string;
}

const STOP_WAIT_MS = 15_000;

export const endpointsFile = (dataDir: string) => join(resolve(dataDir), 'local-stack.json');

export async function startLocalStack(o: LocalStackOptions): Promise<LocalStack> {
  const dataDir = resolve(o.dataDir);
  const bucket = o.bucket ?? 'dicom';
  mkdirSync(join(dataDir, 's3'), { recursive: true });
  // s3rver accepts any credentials; the SDK (here and in the worker threads) wants some.
  process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';
  const s3 = await startS3rver(join(dataDir, 's3'), [bucket]);
  const pipeline = await startLocalPipeline({ s3Endpoint: s3.endpoint, bucket, s3Events: s3.server, dynamoPath: join(dataDir, 'dynamodb'), ...o.pipeline });
  const config = loadConfig([...(o.scpArgs ?? []), '--storage', `s3://${bucket}`, '--s3-endpoint', s3.endpoint, '--s3-region', 'us-east-1'], process.env);
  // The console lists the batches and import jobs from the very table the pipeline writes.
  const scp = await startScp(config, { jobs: pipeline.jobsTable });
  const endpoints: LocalStackEndpoints = {
    dicom: `${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${scp.port}`,
    aeTitle: config.aeTitle,
    s3: s3.endpoint,
    bucket,
    dynamodb: pipeline.dynamoEndpoint,
    tableName: pipeline.tableName,
    healthImaging: pipeline.emulatorEndpoint,
    datastoreId: pipeline.datastoreId,
  };
  writeFileSync(endpointsFile(dataDir), JSON.stringify(endpoints, null, 2));
  const stack: LocalStack = {
    scp,
    s3,
    pipeline,
    bucket,
    async stop() {
      await scp.drain();
      // Let running imports finish, but a stop never waits on them for long.
      await Promise.race([pipeline.whenIdle(), new Promise((r) => setTimeout(r, STOP_WAIT_MS).unref())]);
      await pipeline.stop();
      await stack.s3.close();
    },
  };
  return stack;
}
