/**
 * The whole product on one machine (issue 3): storescu → SCP → S3 sink (s3rver) → manifest →
 * TriggerImport → the synthesized state machine → HealthImaging emulator → jobs table (dynalite).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { MANIFEST_DIR } from '@storescp/workers';
import { startLocalStack, startS3rver, type LocalStack } from '../src/index.ts';
import { corpusSends, datasetSopUid, storescuArgs } from '../../scp-core/tests/corpus-sends.ts';
import { buildDataset, connectScu, ctDataset, CT_IMAGE, dcmtk, freshUid, spawnScp } from '../../scp-core/tests/helpers.ts';

const quiet = () => {};
let stack: LocalStack;
let dataDir: string;
let s3: S3Client;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'stack-'));
  stack = await startLocalStack({
    dataDir,
    scpArgs: ['--port', '0', '--http-port', '-1', '--host', '127.0.0.1', '--log-level', 'silent', '--worker-threads', '2', '--s3-max-attempts', '2'],
    // A 20-batch burst is throttled at 2, and refills fast enough to finish in seconds.
    pipeline: { emulator: { startRate: { perSecond: 10, burst: 2 } }, waitMs: 50, retryIntervalMs: 200, pollIntervalMs: 300, log: quiet, metrics: quiet },
  });
  s3 = new S3Client({ endpoint: stack.s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
});

// Bounded, so a hang names itself instead of stalling CI.
const LIMIT = { timeout: 120_000 };

after(async () => {
  await stack.stop();
}, LIMIT);

async function manifestKeys(): Promise<string[]> {
  const res = await s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: MANIFEST_DIR('') }));
  return (res.Contents ?? []).map((o) => o.Key!);
}

/** Waits until every manifest in the bucket has an execution and all executions have ended. */
async function importsSettled(expectedManifests: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    await stack.pipeline.scanManifests();
    if ((await manifestKeys()).length >= expectedManifests && stack.pipeline.executions.size >= expectedManifests) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  await stack.pipeline.whenIdle();
}

const importedUids = () => stack.pipeline.emulator.imageSetViews().flatMap((s) => s.sopInstanceUIDs);

test('storescu sends the corpus and two generated studies: every acknowledged instance is imported, one job row per (batch, study)', LIMIT, async () => {
  const acknowledged: string[] = [];
  const sends = await corpusSends();
  for (const send of sends) {
    const r = await dcmtk('storescu', [...storescuArgs(send.ts), '127.0.0.1', String(stack.scp.port), ...send.files]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr + r.stdout, /Store Failed/, send.files.map((f) => basename(f)).join(' '));
    for (const f of send.files) acknowledged.push(await datasetSopUid(f));
  }
  // A generated 2-study set, plus one instance HealthImaging will refuse: well formed, so the SCP
  // stores it as sent, but with a StudyDescription past HealthImaging's 64-character limit.
  const [studyA, studyB] = [freshUid(), freshUid()];
  const scu = await connectScu(stack.scp.port);
  for (const [study, n] of [[studyA, 4], [studyB, 3]] as const) {
    const series = freshUid();
    for (let i = 0; i < n; i++) {
      const sop = freshUid();
      assert.equal((await scu.store(CT_IMAGE, sop, ctDataset({ sop, study, series }))).status, 0);
      acknowledged.push(sop);
    }
  }
  const broken = freshUid();
  const brokenDataset = buildDataset([
    [0x00080016, 'UI', CT_IMAGE],
    [0x00080018, 'UI', broken],
    [0x00080020, 'DA', '20240102'],
    [0x00081030, 'LO', 'x'.repeat(80)],
    [0x0020000d, 'UI', studyB],
    [0x0020000e, 'UI', freshUid()],
  ]);
  assert.equal((await scu.store(CT_IMAGE, broken, brokenDataset)).status, 0);
  await scu.release();

  await importsSettled(sends.length + 1);
  const imported = new Set(importedUids());
  assert.deepEqual(acknowledged.filter((u) => !imported.has(u)), [], 'acknowledged but not imported');
  assert.ok(!imported.has(broken));

  const executions = [...stack.pipeline.executions.values()];
  assert.ok(executions.every((e) => e.status !== 'RUNNING'));
  const jobsExpected = executions.reduce((n, e) => n + e.input.jobs.length, 0);
  const rows = await stack.pipeline.jobsTable.recent(10_000);
  assert.equal(rows.length, jobsExpected, 'one row per (batch, study)');
  for (const r of rows) {
    assert.equal(r.jobStatus, 'COMPLETED', `${r.studyInstanceUID}: ${r.message}`);
    assert.equal(r.numberOfScannedFiles, r.instanceCount, 'every stored file was scanned');
    assert.equal((r.numberOfImportedFiles ?? 0) + (r.numberOfFilesWithCustomerError ?? 0) + (r.numberOfFilesWithServerError ?? 0), r.numberOfScannedFiles);
  }
  const [rowA] = await stack.pipeline.jobsTable.queryByStudy(studyA);
  assert.equal(rowA?.instanceCount, 4);
  const rowsB = await stack.pipeline.jobsTable.queryByStudy(studyB);
  assert.equal(rowsB.length, 1);
  assert.equal(rowsB[0]!.numberOfFilesWithCustomerError, 1);
  assert.ok(rowsB[0]!.failedFiles?.some((f) => f.inputFile.endsWith(`${broken}.dcm`)), 'the refused file is on its job row');
});

test('an SCP killed mid-association: what it acknowledged is imported after the sweeper runs, once', LIMIT, async () => {
  const scp = await spawnScp(['--storage', `s3://${stack.bucket}`, '--s3-endpoint', stack.s3.endpoint, '--s3-region', 'us-east-1']);
  const study = freshUid();
  const scu = await connectScu(scp.port);
  const sops = [freshUid(), freshUid(), freshUid()];
  for (const sop of sops) assert.equal((await scu.store(CT_IMAGE, sop, ctDataset({ sop, study }))).status, 0);
  scp.child.kill('SIGKILL');
  await scp.exited;
  scu.close();
  const before = (await manifestKeys()).length;
  const report = await stack.pipeline.sweep(new Date(Date.now() + 3_600_000));
  assert.ok(JSON.stringify(report).length > 0);
  await importsSettled(before + 1);
  await stack.pipeline.sweep(new Date(Date.now() + 3_600_000)); // a second sweep finds nothing to do
  await importsSettled(before + 1);
  const rows = await stack.pipeline.jobsTable.queryByStudy(study);
  assert.equal(rows.length, 1, 'imported by exactly one job');
  assert.equal(rows[0]!.jobStatus, 'COMPLETED');
  const sets = stack.pipeline.emulator.imageSetViews().filter((s) => s.studyInstanceUID === study);
  assert.deepEqual(sets.map((s) => s.version), [1], 'imported once');
  assert.deepEqual([...sets[0]!.sopInstanceUIDs].sort(), [...sops].sort());
});

test('a burst of 20 batches is throttled: every job starts once, and the retries show in the histories', LIMIT, async () => {
  const studies = Array.from({ length: 20 }, () => freshUid());
  const before = (await manifestKeys()).length;
  await Promise.all(
    studies.map(async (study) => {
      const scu = await connectScu(stack.scp.port);
      const sop = freshUid();
      assert.equal((await scu.store(CT_IMAGE, sop, ctDataset({ sop, study }))).status, 0);
      await scu.release();
    }),
  );
  await importsSettled(before + 20);
  for (const study of studies) {
    const rows = await stack.pipeline.jobsTable.queryByStudy(study);
    assert.equal(rows.length, 1, `study ${study}: one job`);
    assert.equal(rows[0]!.jobStatus, 'COMPLETED');
  }
  const retried = [...stack.pipeline.executions.values()].filter((e) => e.events.some((ev) => ev.type === 'StateRetried' && 'state' in ev && ev.state.name === 'StartImportJob'));
  assert.ok(retried.length > 0, 'StartImportJob was retried after ThrottlingException');
  assert.ok(retried.every((e) => e.status === 'SUCCEEDED'));
});

test('S3 unavailable: C-STOREs get 0xA700 and nothing is acknowledged; when S3 returns, sending works again', LIMIT, async () => {
  const port = Number(new URL(stack.s3.endpoint).port);
  await stack.s3.close();
  const scu = await connectScu(stack.scp.port);
  const down = [freshUid(), freshUid()];
  for (const sop of down) {
    const rsp = await scu.store(CT_IMAGE, sop, ctDataset({ sop }));
    assert.equal(rsp.status, 0xa700, 'refused, so the sender keeps the image');
  }
  await scu.release();
  stack.s3 = await startS3rver(join(dataDir, 's3'), [stack.bucket], port);
  const again = await connectScu(stack.scp.port);
  const sop = freshUid();
  assert.equal((await again.store(CT_IMAGE, sop, ctDataset({ sop }))).status, 0);
  await again.release();
  const res = await s3.send(new ListObjectsV2Command({ Bucket: stack.bucket }));
  const keys = (res.Contents ?? []).map((o) => o.Key!);
  assert.ok(keys.some((k) => k.endsWith(`${sop}.dcm`)));
  assert.ok(!keys.some((k) => down.some((d) => k.endsWith(`${d}.dcm`))), 'nothing stored for the refused instances');
});

test('S3: a dataset that does not add up is 0xC000, and nothing is uploaded, in one part or many', LIMIT, async () => {
  const scu = await connectScu(stack.scp.port);
  const refused: string[] = [];
  for (const pixels of [1000, 24_000_000]) {
    const sop = freshUid();
    const whole = ctDataset({ sop }, pixels);
    const rsp = await scu.store(CT_IMAGE, sop, whole.subarray(0, whole.length - 10));
    assert.equal(rsp.status, 0xc000, `${pixels} bytes of pixels, cut short`);
    refused.push(sop);
  }
  const sop = freshUid();
  assert.equal((await scu.store(CT_IMAGE, sop, ctDataset({ sop }))).status, 0);
  await scu.release();
  const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: stack.bucket }))).Contents ?? []).map((o) => o.Key!);
  assert.ok(keys.some((k) => k.endsWith(`${sop}.dcm`)));
  assert.ok(!keys.some((k) => refused.some((r) => k.endsWith(`${r}.dcm`))), 'nothing stored for the refused instances');
});
