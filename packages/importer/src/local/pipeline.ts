/**
 * The import pipeline on one machine: dynalite with the jobs table, the HealthImaging emulator, and
 * the synthesized state machine run by aws-local-stepfunctions with its Lambda states bound to the
 * same functions the Lambdas run. New batch manifests are picked up from s3rver's object-created
 * events when given, and by listing `_batches/closed/` (which also catches anything missed); the
 * sweeper runs on a timer, as the scheduled Lambda does on AWS.
 */
import type { EventEmitter } from 'node:events';
import { ResourceInUseException } from '@aws-sdk/client-dynamodb';
import { MANIFEST_DIR } from '@storescp/workers/layout';
import { makeDocumentClient, makeDynamoClient, makeMedicalImagingClient, makeS3Client } from '../aws/clients.ts';
import { DEFAULT_JOBS_TABLE_NAME, JobsTable, createJobsTable } from '../jobs/table.ts';
import { startHealthImagingEmulator } from '../emulator/server.ts';
import type { EmulatorOptions, HealthImagingEmulator } from '../emulator/emulator.ts';
import { errorMessage, jsonLogger, type Logger } from '../log.ts';
import { stdoutSink, type MetricSink } from '../metrics/emf.ts';
import { listObjects } from '../s3/objects.ts';
import { InvalidManifestError } from '../pipeline/manifest.ts';
import { createdManifestKey, triggerBatch, triggerImport, type PrepareRequest, type S3EventLike } from '../pipeline/trigger-import.ts';
import { startImportJob } from '../pipeline/start-import-job.ts';
import { checkImportStatus } from '../pipeline/check-status.ts';
import { sweepOpenBatches, type SweepReport } from '../pipeline/sweeper.ts';
import type { PipelineDeps } from '../pipeline/deps.ts';
import type { ExecutionInput, PreparedJob, StartedJob } from '../pipeline/types.ts';
import { startDynalite } from './dynalite.ts';
import { startLocalExecution, type LocalExecution } from './state-machine.ts';

export interface LocalPipelineOptions {
  /** The S3 stand-in (s3rver) the SCP stores into, and its bucket and storage prefix. */
  s3Endpoint: string;
  bucket: string;
  prefix?: string;
  /** An s3rver instance: its 'event's start imports at once instead of at the next listing. */
  s3Events?: EventEmitter;
  /** Where HealthImaging writes job output; default `s3://{bucket}/{prefix}_import-results/` (outside any import prefix). */
  outputS3Uri?: string;
  /** A running DynamoDB stand-in; by default dynalite is started (in memory, or in `dynamoPath`). */
  dynamoEndpoint?: string;
  dynamoPath?: string;
  tableName?: string;
  /** Port of the emulator (0 = any free port) and its data store ID (random by default). */
  emulatorPort?: number;
  datastoreId?: string;
  /** Emulator quotas, rate and processing mode, for tests. */
  emulator?: Partial<Omit<EmulatorOptions, 's3'>>;
  /** The state machine definition; default: the one packages/infra synthesizes. */
  definition?: unknown;
  /** WaitForCompletion's pause (ms); default 1000 instead of 30 s. */
  waitMs?: number;
  /** Replaces every Retry's backoff (ms); by default the definition's backoff and jitter apply. */
  retryIntervalMs?: number;
  /** How often `_batches/closed/` is listed for manifests not seen yet; default 2000 ms. */
  pollIntervalMs?: number;
  /** Sweeper period and the age of an open marker it closes; defaults 30 s and 210 s (DIMSE 60 + network 90 + 60). */
  sweepIntervalMs?: number;
  sweepAgeSeconds?: number;
  log?: Logger;
  metrics?: MetricSink;
}

export interface LocalExecutionRecord extends LocalExecution {
  name: string;
  input: ExecutionInput;
}

export interface LocalPipeline {
  emulatorEndpoint: string;
  dynamoEndpoint: string;
  tableName: string;
  datastoreId: string;
  outputS3Uri: string;
  emulator: HealthImagingEmulator;
  jobsTable: JobsTable;
  /** Executions by name (one per batch). */
  executions: ReadonlyMap<string, LocalExecutionRecord>;
  /** Lists `_batches/closed/` now and starts what is new. */
  scanManifests(): Promise<void>;
  /** Runs the sweeper now. */
  sweep(now?: Date): Promise<SweepReport>;
  /** Resolves when no trigger is pending and every execution has ended. */
  whenIdle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalPipeline(o: LocalPipelineOptions): Promise<LocalPipeline> {
  const prefix = o.prefix ?? '';
  const log = o.log ?? jsonLogger;
  const definition = o.definition ?? (await import('@storescp/infra')).synthImportStateMachineDefinition();
  const s3 = makeS3Client({ endpoint: o.s3Endpoint });
  const emulator = await startHealthImagingEmulator({
    s3,
    port: o.emulatorPort ?? 0,
    ...(o.datastoreId ? { datastoreIds: [o.datastoreId] } : {}),
    log,
    ...o.emulator,
  });
  const dynalite = o.dynamoEndpoint ? undefined : await startDynalite(o.dynamoPath ? { path: o.dynamoPath } : {});
  const dynamoEndpoint = o.dynamoEndpoint ?? dynalite!.endpoint;
  const dynamo = makeDynamoClient({ endpoint: dynamoEndpoint });
  const tableName = o.tableName ?? DEFAULT_JOBS_TABLE_NAME;
  await createJobsTable(dynamo, tableName).catch((err: unknown) => {
    if (!(err instanceof ResourceInUseException)) throw err; // a persistent dynalite already has it
  });
  // As on AWS: one attempt per call, throttling goes back to the state machine's Retry.
  const medicalImaging = makeMedicalImagingClient({ endpoint: emulator.endpoint, maxAttempts: 1 });

  const executions = new Map<string, LocalExecutionRecord>();
  const deps: PipelineDeps = {
    config: {
      dicomBucket: o.bucket,
      dicomPrefix: prefix,
      datastoreId: emulator.emulator.datastoreIds[0]!,
      dataAccessRoleArn: 'arn:aws:iam::000000000000:role/HealthImagingImportLocal',
      outputS3Uri: o.outputS3Uri ?? `s3://${o.bucket}/${prefix}_import-results/`,
      sweepAgeSeconds: o.sweepAgeSeconds ?? 210,
    },
    s3,
    medicalImaging,
    jobsTable: new JobsTable(makeDocumentClient(dynamo), tableName),
    executions: {
      // StartExecution's contract: a name already used starts nothing.
      async start(name, input) {
        if (executions.has(name)) return 'already-exists';
        const execution = startLocalExecution(definition, input, {
          functions: {
            TriggerImport: (p) => triggerImport(deps, p as PrepareRequest | S3EventLike),
            StartImportJob: (p) => startImportJob(deps, p as PreparedJob),
            CheckStatus: (p) => checkImportStatus(deps, p as StartedJob),
          },
          waitMs: o.waitMs ?? 1000,
          ...(o.retryIntervalMs !== undefined ? { retryIntervalMs: o.retryIntervalMs } : {}),
        });
        executions.set(name, Object.assign(execution, { name, input }));
        void execution.done.then(() => log(execution.status === 'SUCCEEDED' ? 'info' : 'warn', 'import execution ended', { name, status: execution.status, error: execution.error }));
        return 'started';
      },
    },
    log,
    metrics: o.metrics ?? stdoutSink,
  };

  // Manifest keys already handled, so the listing and the events do not trigger a batch twice.
  const handled = new Set<string>();
  const pending = new Set<Promise<void>>();
  const onManifest = (key: string) => {
    if (handled.has(key)) return;
    handled.add(key);
    const p = triggerBatch(deps, o.bucket, key)
      .then(() => undefined)
      .catch((err: unknown) => {
        log('error', 'batch manifest not imported', { manifestKey: key, error: errorMessage(err) });
        // A bad manifest stays bad; anything else (S3 hiccup) is tried again at the next listing.
        if (!(err instanceof InvalidManifestError)) handled.delete(key);
      })
      .finally(() => pending.delete(p));
    pending.add(p);
  };
  const scanManifests = async () => {
    for (const manifest of await listObjects(s3, o.bucket, MANIFEST_DIR(prefix))) {
      if (manifest.key.endsWith('.json')) onManifest(manifest.key);
    }
  };
  const onS3Event = (event: S3EventLike) => {
    for (const record of event.Records) {
      const key = record.s3.bucket.name === o.bucket ? createdManifestKey(record, prefix) : undefined;
      if (key !== undefined) onManifest(key);
    }
  };
  o.s3Events?.on('event', onS3Event);

  const timers = [
    repeat(o.pollIntervalMs ?? 2000, scanManifests, 'manifest listing', log),
    repeat(o.sweepIntervalMs ?? 30_000, () => sweepOpenBatches(deps), 'sweeper', log),
  ];

  const whenIdle = async () => {
    for (;;) {
      const running = [...pending, ...[...executions.values()].filter((e) => e.status === 'RUNNING').map((e) => e.done)];
      if (running.length === 0) return;
      await Promise.all(running);
    }
  };

  return {
    emulatorEndpoint: emulator.endpoint,
    dynamoEndpoint,
    tableName,
    datastoreId: deps.config.datastoreId,
    outputS3Uri: deps.config.outputS3Uri,
    emulator: emulator.emulator,
    jobsTable: deps.jobsTable,
    executions,
    scanManifests,
    sweep: (now) => sweepOpenBatches(deps, now),
    whenIdle,
    stop: async () => {
      await Promise.all(timers.map((stopTimer) => stopTimer()));
      o.s3Events?.off('event', onS3Event);
      await Promise.all(pending);
      for (const e of executions.values()) if (e.status === 'RUNNING') e.abort();
      await Promise.all([...executions.values()].map((e) => e.done));
      medicalImaging.destroy();
      dynamo.destroy();
      s3.destroy();
      await emulator.close();
      await dynalite?.close();
    },
  };
}

/** Runs `task` every `ms`, never overlapping itself; returns a stop function that waits for a run in progress. */
function repeat(ms: number, task: () => Promise<unknown>, what: string, log: Logger): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    running = task()
      .then(
        () => undefined,
        (err: unknown) => log('error', `${what} failed`, { error: errorMessage(err) }),
      )
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimeout(tick, ms);
      });
  };
  timer = setTimeout(tick, ms);
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
