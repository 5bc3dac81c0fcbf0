/** Shared test scaffolding: fixtures, batches as the SCP stores them, and a rig of local stand-ins. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startS3rver } from '../src/local/s3rver.ts';
import { makeDocumentClient, makeDynamoClient, makeMedicalImagingClient, makeS3Client } from '../src/aws/clients.ts';
import { startDynalite, type RunningDynalite } from '../src/local/dynalite.ts';
import { startHealthImagingEmulator, type RunningEmulator } from '../src/emulator/server.ts';
import type { EmulatorOptions } from '../src/emulator/emulator.ts';
import { DEFAULT_JOBS_TABLE_NAME, JobsTable, createJobsTable } from '../src/jobs/table.ts';
import type { PipelineDeps } from '../src/pipeline/deps.ts';
import type { ExecutionInput } from '../src/pipeline/types.ts';
import type { Logger } from '../src/log.ts';
import { instanceKey, manifestKey, type BatchManifest } from '@storescp/workers/layout';

export const DICOM_BUCKET = 'dicom';
export const RESULTS_BUCKET = 'results';
export const ROLE_ARN = 'arn:aws:iam::123456789012:role/HealthImagingImport';

export const fixture = (name: string) => readFile(new URL(`./fixtures/${name}`, import.meta.url));

/** UIDs of the fixtures, as their headers say. */
export const CT = {
  file: 'pydicom_CT_small.dcm',
  study: '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322',
  series: '1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322',
  sop: '1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322',
  studyDate: '20040119',
  sopClass: '1.2.840.10008.5.1.4.1.1.2',
};
export const MR = {
  file: 'pydicom_MR_small.dcm',
  study: '1.3.6.1.4.1.5962.1.2.4.20040826185059.5457',
  series: '1.3.6.1.4.1.5962.1.3.4.1.20040826185059.5457',
  sop: '1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457',
  studyDate: '20040826',
  sopClass: '1.2.840.10008.5.1.4.1.1.4',
};

export interface TestS3 {
  s3: S3Client;
  endpoint: string;
  put(key: string, body: Uint8Array | string, bucket?: string): Promise<void>;
  close(): Promise<void>;
}

export async function startTestS3(): Promise<TestS3> {
  const dir = await mkdtemp(join(tmpdir(), 'importer-s3-'));
  const running = await startS3rver(dir, [DICOM_BUCKET, RESULTS_BUCKET]);
  const s3 = makeS3Client({ endpoint: running.endpoint });
  return {
    s3,
    endpoint: running.endpoint,
    put: async (key, body, bucket = DICOM_BUCKET) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    close: async () => {
      s3.destroy();
      await running.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A batch's manifest for the given fixture instances, as the SCP would write it. */
export function batchManifest(batchId: string, timestamp: number, prefix: string, instances: Array<{ f: typeof CT; size: number; sop?: string; series?: string }>): BatchManifest {
  const datePath = '2026/11/22';
  return {
    version: 1,
    batchId,
    timestamp,
    prefix,
    datePaths: [datePath],
    openedAt: new Date(timestamp).toISOString(),
    closedAt: new Date(timestamp + 1000).toISOString(),
    closedBy: 'scp',
    reason: 'release',
    callingAeTitle: 'STORESCU',
    calledAeTitle: 'STORESCP',
    peerAddress: '127.0.0.1',
    instances: instances.map(({ f, size, sop, series }) => {
      const parts = { studyInstanceUid: f.study, seriesInstanceUid: series ?? f.series, sopInstanceUid: sop ?? f.sop };
      return { key: instanceKey({ prefix, datePath, timestamp, ...parts }), ...parts, sopClassUid: f.sopClass, studyDate: f.studyDate, size };
    }),
  };
}

/** Stores a batch the way the SCP does: each instance's bytes under its key, then the manifest. */
export async function storeBatch(s3: TestS3, manifest: BatchManifest, bodies: Array<Uint8Array | string>): Promise<string> {
  await Promise.all(manifest.instances.map((inst, i) => s3.put(inst.key, bodies[i]!)));
  const key = manifestKey(manifest.prefix, manifest.batchId);
  await s3.put(key, JSON.stringify(manifest));
  return key;
}

export interface Rig {
  s3: TestS3;
  emulator: RunningEmulator;
  dynamo: RunningDynalite;
  deps: PipelineDeps;
  /** EMF lines the pipeline printed. */
  metrics: Array<Record<string, unknown>>;
  /** Executions started, by name (a name is started once). */
  executions: Map<string, ExecutionInput>;
  logs: Array<{ level: string; msg: string; fields?: Record<string, unknown> }>;
  close(): Promise<void>;
}

export const PREFIX = 'store/';

/** s3rver, the emulator, dynalite with the jobs table, and the pipeline's deps wired to them. */
export async function startRig(emulatorOptions: Partial<EmulatorOptions> = {}): Promise<Rig> {
  const s3 = await startTestS3();
  const logs: Rig['logs'] = [];
  const log: Logger = (level, msg, fields) => logs.push({ level, msg, ...(fields ? { fields } : {}) });
  const emulator = await startHealthImagingEmulator({ s3: s3.s3, processing: 'manual', log, ...emulatorOptions });
  const dynamo = await startDynalite();
  const dynamoClient = makeDynamoClient({ endpoint: dynamo.endpoint });
  await createJobsTable(dynamoClient, DEFAULT_JOBS_TABLE_NAME);
  const medicalImaging = makeMedicalImagingClient({ endpoint: emulator.endpoint, maxAttempts: 1 });
  const metrics: Rig['metrics'] = [];
  const executions = new Map<string, ExecutionInput>();
  const deps: PipelineDeps = {
    config: {
      dicomBucket: DICOM_BUCKET,
      dicomPrefix: PREFIX,
      datastoreId: emulator.emulator.datastoreIds[0]!,
      dataAccessRoleArn: ROLE_ARN,
      outputS3Uri: `s3://${RESULTS_BUCKET}/import-results/`,
      sweepAgeSeconds: 300,
    },
    s3: s3.s3,
    medicalImaging,
    jobsTable: new JobsTable(makeDocumentClient(dynamoClient), DEFAULT_JOBS_TABLE_NAME),
    executions: {
      start: async (name, input) => {
        if (executions.has(name)) return 'already-exists';
        executions.set(name, input);
        return 'started';
      },
    },
    log,
    metrics: (line) => metrics.push(JSON.parse(line) as Record<string, unknown>),
  };
  return {
    s3,
    emulator,
    dynamo,
    deps,
    metrics,
    executions,
    logs,
    close: async () => {
      medicalImaging.destroy();
      dynamoClient.destroy();
      await emulator.close();
      await dynamo.close();
      await s3.close();
    },
  };
}
