import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { executionNameForBatch, studyPrefix } from '@storescp/workers/layout';
import { triggerImport, type BatchTriggered } from '../src/pipeline/trigger-import.ts';
import type { PreparedJob } from '../src/pipeline/types.ts';
import { CT, DICOM_BUCKET, MR, PREFIX, batchManifest, fixture, startRig, storeBatch, type Rig } from './helpers.ts';

const s3Event = (key: string) => ({
  Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: DICOM_BUCKET }, object: { key } } }],
});

describe('TriggerImport', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(() => rig.close());

  test('groups a batch into one job per study and starts one execution named after the batch, once', async () => {
    const ts = 1763800000000;
    const manifest = batchManifest('STORESCP-1763800000000-1', ts, PREFIX, [
      { f: CT, size: 39206 },
      { f: CT, size: 100, sop: `${CT.sop}.2`, series: `${CT.series}.2` },
      { f: MR, size: 9830 },
    ]);
    const key = await storeBatch(rig.s3, manifest, [await fixture(CT.file), 'x'.repeat(100), await fixture(MR.file)]);

    const [first] = (await triggerImport(rig.deps, s3Event(key))) as BatchTriggered[];
    assert.equal(first?.outcome, 'started');
    const name = executionNameForBatch(manifest.batchId);
    assert.deepEqual([...rig.executions.keys()], [name]);
    const input = rig.executions.get(name)!;
    assert.deepEqual({ batchId: input.batchId, bucket: input.bucket, manifestKey: input.manifestKey }, { batchId: manifest.batchId, bucket: DICOM_BUCKET, manifestKey: key });
    const byStudy = new Map(input.jobs.map((j) => [j.studyInstanceUID, j]));
    assert.deepEqual(byStudy.get(CT.study), {
      batchId: manifest.batchId,
      studyInstanceUID: CT.study,
      studyDate: CT.studyDate,
      inputS3Uri: `s3://${DICOM_BUCKET}/${studyPrefix(PREFIX, '2026/11/22', ts, CT.study)}`,
      instanceCount: 2,
      bytes: 39306,
    });
    // One series, one instance: the job names them.
    assert.deepEqual([byStudy.get(MR.study)?.seriesInstanceUID, byStudy.get(MR.study)?.sopInstanceUID], [MR.series, MR.sop]);
    assert.ok(input.jobs.every((j) => j.inputS3Uri.endsWith('/')));

    // The same event again (S3 delivers at least once): nothing new starts.
    const [again] = (await triggerImport(rig.deps, s3Event(key))) as BatchTriggered[];
    assert.equal(again?.outcome, 'already-exists');
    assert.equal(rig.executions.size, 1);
  });

  test('a manifest that does not match the storage layout is refused with a clear error, and logged', async () => {
    const manifest = batchManifest('STORESCP-bad', 1763800000001, PREFIX, [{ f: CT, size: 1 }]);
    manifest.instances[0]!.sopInstanceUid = '1.2.3.999';
    const key = await storeBatch(rig.s3, manifest, ['x']);
    await assert.rejects(triggerImport(rig.deps, s3Event(key)), /instances\[0\]\.key .* does not match/);
    assert.ok(rig.logs.some((l) => l.level === 'error' && l.fields?.['manifestKey'] === key));
    assert.ok(!rig.executions.has(executionNameForBatch('STORESCP-bad')));
  });

  test('prepare lists the job prefix and notes its files; an empty prefix is refused', async () => {
    const manifest = batchManifest('STORESCP-prep', 1763800000002, PREFIX, [{ f: MR, size: 9830 }]);
    await storeBatch(rig.s3, manifest, [await fixture(MR.file)]);
    const job = { batchId: manifest.batchId, studyInstanceUID: MR.study, studyDate: MR.studyDate, instanceCount: 1, bytes: 9830 };
    const inputS3Uri = `s3://${DICOM_BUCKET}/${studyPrefix(PREFIX, '2026/11/22', 1763800000002, MR.study)}`;
    const prepared = (await triggerImport(rig.deps, { action: 'prepare', job: { ...job, inputS3Uri } })) as PreparedJob;
    assert.deepEqual([prepared.listedFiles, prepared.listedBytes], [1, 9830]);
    await assert.rejects(triggerImport(rig.deps, { action: 'prepare', job: { ...job, inputS3Uri: `s3://${DICOM_BUCKET}/${PREFIX}2020/01/01/1/1.2/` } }), {
      name: 'ImportInputInvalid',
    });
  });
});
