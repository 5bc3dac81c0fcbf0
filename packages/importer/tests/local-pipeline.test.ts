import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { executionNameForBatch, instanceKey, openMarkerKey, type OpenMarker } from '@storescp/workers/layout';
import { synthImportStateMachineDefinition } from '@storescp/infra';
import { startS3rver } from '../src/local/s3rver.ts';
import { startLocalPipeline, type LocalPipeline } from '../src/local/pipeline.ts';
import { makeS3Client } from '../src/aws/clients.ts';
import { CT, DICOM_BUCKET, MR, PREFIX, batchManifest, fixture } from './helpers.ts';

const quiet = () => {};

/** s3rver (with its events) and the local pipeline running the synthesized state machine. */
async function withLocalStack(body: (p: LocalPipeline, put: (key: string, body: Uint8Array | string) => Promise<void>) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'importer-local-'));
  const s3rver = await startS3rver(dir, [DICOM_BUCKET]);
  const s3 = makeS3Client({ endpoint: s3rver.endpoint });
  const pipeline = await startLocalPipeline({
    s3Endpoint: s3rver.endpoint,
    bucket: DICOM_BUCKET,
    prefix: PREFIX,
    s3Events: s3rver.server,
    definition: synthImportStateMachineDefinition(),
    // One start per second and no burst beyond 1: a batch's second job is throttled for a while.
    emulator: { startRate: { perSecond: 1, burst: 1 } },
    waitMs: 20,
    retryIntervalMs: 200,
    log: quiet,
    metrics: quiet,
  });
  try {
    await body(pipeline, async (key, data) => {
      await s3.send(new PutObjectCommand({ Bucket: DICOM_BUCKET, Key: key, Body: data }));
    });
  } finally {
    await pipeline.stop();
    s3.destroy();
    await s3rver.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('a closed batch of two studies, one file garbage, runs through the synthesized state machine', () =>
  withLocalStack(async (pipeline, put) => {
    const ts = 1763800000000;
    const manifest = batchManifest('STORESCP-local-1', ts, PREFIX, [
      { f: CT, size: 39206 },
      { f: CT, size: 9, sop: `${CT.sop}.666` },
      { f: MR, size: 9830 },
    ]);
    const bodies = [await fixture(CT.file), 'not DICOM', await fixture(MR.file)];
    for (const [i, inst] of manifest.instances.entries()) await put(inst.key, bodies[i]!);
    // The manifest's object-created event starts the import.
    await put(`${PREFIX}_batches/closed/${manifest.batchId}.json`, JSON.stringify(manifest));
    await pipeline.whenIdle();

    const execution = pipeline.executions.get(executionNameForBatch(manifest.batchId));
    assert.equal(execution?.status, 'SUCCEEDED', execution?.error);
    // The throttled start was retried by the state machine, visibly in the history.
    const retried = execution!.events.filter((e) => e.type === 'StateRetried' && 'state' in e && e.state.name === 'StartImportJob');
    assert.ok(retried.length >= 1, 'expected StartImportJob retries in the execution history');

    const [ctRow] = await pipeline.jobsTable.queryByStudy(CT.study);
    assert.equal(ctRow?.jobStatus, 'COMPLETED');
    assert.deepEqual([ctRow?.numberOfScannedFiles, ctRow?.numberOfImportedFiles, ctRow?.numberOfFilesWithCustomerError], [2, 1, 1]);
    assert.match(ctRow?.failedFiles?.[0]?.inputFile ?? '', /\.666\.dcm$/);
    const mrRows = await pipeline.jobsTable.queryByStudy(MR.study);
    assert.deepEqual(mrRows.map((r) => [r.jobStatus, r.numberOfImportedFiles, r.sopInstanceUID]), [['COMPLETED', 1, MR.sop]]);

    const imported = pipeline.emulator.imageSetViews().flatMap((s) => s.sopInstanceUIDs);
    assert.deepEqual(imported.sort(), [CT.sop, MR.sop].sort());

    // The same manifest again starts nothing new.
    await put(`${PREFIX}_batches/closed/${manifest.batchId}.json`, JSON.stringify(manifest));
    await pipeline.scanManifests();
    await pipeline.whenIdle();
    assert.equal(pipeline.executions.size, 1);
  }));

test('a batch left open by a dead SCP is swept, then imported, once', () =>
  withLocalStack(async (pipeline, put) => {
    const ts = 1763800000001;
    const marker: OpenMarker = {
      version: 1,
      batchId: 'STORESCP-dead-1',
      timestamp: ts,
      prefix: PREFIX,
      datePaths: ['2026/11/22'],
      openedAt: new Date(ts).toISOString(),
      callingAeTitle: 'MODALITY',
      calledAeTitle: 'STORESCP',
      peerAddress: '10.0.0.9',
    };
    await put(openMarkerKey(PREFIX, marker.batchId), JSON.stringify(marker));
    await put(instanceKey({ prefix: PREFIX, datePath: '2026/11/22', timestamp: ts, studyInstanceUid: MR.study, seriesInstanceUid: MR.series, sopInstanceUid: MR.sop }), await fixture(MR.file));

    const later = new Date(Date.now() + 3600_000);
    assert.deepEqual((await pipeline.sweep(later)).swept, [marker.batchId]);
    assert.deepEqual((await pipeline.sweep(later)).swept, []);
    await pipeline.whenIdle();

    assert.equal(pipeline.executions.get(executionNameForBatch(marker.batchId))?.status, 'SUCCEEDED');
    assert.equal(pipeline.executions.size, 1);
    const rows = await pipeline.jobsTable.queryByStudy(MR.study);
    assert.deepEqual(rows.map((r) => [r.jobStatus, r.batchId]), [['COMPLETED', marker.batchId]]);
    assert.deepEqual(pipeline.emulator.imageSetViews().flatMap((s) => s.sopInstanceUIDs), [MR.sop]);
  }));

test('a job whose prefix is gone ends in Failure and the execution fails (ImportFailed) while the other job completes', () =>
  withLocalStack(async (pipeline, put) => {
    const manifest = batchManifest('STORESCP-local-2', 1763800000002, PREFIX, [
      { f: CT, size: 39206 },
      { f: MR, size: 9830 },
    ]);
    // Only the MR object is stored: the CT job's prefix is empty when TriggerImport prepares it.
    await put(manifest.instances[1]!.key, await fixture(MR.file));
    await put(`${PREFIX}_batches/closed/${manifest.batchId}.json`, JSON.stringify(manifest));
    await pipeline.whenIdle();

    const execution = pipeline.executions.get(executionNameForBatch(manifest.batchId))!;
    assert.equal(execution.status, 'FAILED');
    assert.ok(execution.events.some((e) => e.type === 'StateEntered' && 'state' in e && e.state.name === 'ImportFailed'));
    assert.deepEqual((await pipeline.jobsTable.queryByStudy(CT.study)).length, 0);
    assert.deepEqual((await pipeline.jobsTable.queryByStudy(MR.study)).map((r) => r.jobStatus), ['COMPLETED']);
  }));
