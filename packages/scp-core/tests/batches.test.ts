/** Batch records on storage: the open marker before the first ack, the manifest at the end, duplicates. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Status, type BatchManifest, type BatchRef, type StoreResult } from '@storescp/workers';
import { BatchTracker, TimestampClock } from '../src/batch/batch-tracker.ts';
import { createMetrics } from '../src/metrics/registry.ts';
import { closedManifests, connectScu, ctDataset, CT_IMAGE, freshUid, recordingLog, startTestScp, storedFiles } from './helpers.ts';

test('an association writes an open marker while it runs and a manifest listing every stored instance when it ends', async () => {
  const t = await startTestScp();
  try {
    const scu = await connectScu(t.port);
    const study = freshUid();
    const sops = [freshUid(), freshUid(), freshUid()];
    for (const [i, sop] of sops.entries()) {
      const rsp = await scu.store(CT_IMAGE, sop, ctDataset({ sop, study, studyDate: i === 2 ? '20231231' : '20240102' }));
      assert.equal(rsp.status, 0);
    }
    const open = readdirSync(join(t.dir, '_batches', 'open'));
    assert.equal(open.length, 1, 'one open marker while the association runs');
    const marker = JSON.parse(readFileSync(join(t.dir, '_batches', 'open', open[0]!), 'utf8'));
    assert.deepEqual(marker.datePaths.sort(), ['2023/12/31', '2024/01/02'], 'the marker lists every date path acknowledged so far');
    await scu.release();
    await new Promise((r) => setTimeout(r, 200));
    const [m] = closedManifests(t.dir);
    assert.ok(m);
    assert.equal(m.instances.length, 3);
    assert.equal(m.reason, 'release');
    assert.deepEqual(m.instances.map((i) => i.sopInstanceUid).sort(), [...sops].sort());
    for (const i of m.instances) {
      assert.ok(i.key.startsWith(`${i.studyDate.slice(0, 4)}/${i.studyDate.slice(4, 6)}/${i.studyDate.slice(6)}/${m.timestamp}/${study}/`));
      assert.ok(existsSync(join(t.dir, i.key)));
    }
    assert.equal(readdirSync(join(t.dir, '_batches', 'open')).length, 0, 'the marker is removed once the manifest exists');
  } finally {
    await t.stop();
  }
});

test('the same SOP Instance UID twice in one batch lands on one key (the later wins); in a later batch it is stored again', async () => {
  const t = await startTestScp();
  try {
    const sop = freshUid();
    const scu = await connectScu(t.port);
    assert.equal((await scu.store(CT_IMAGE, sop, ctDataset({ sop }, 100))).status, 0);
    assert.equal((await scu.store(CT_IMAGE, sop, ctDataset({ sop }, 200))).status, 0);
    await scu.release();
    const again = await connectScu(t.port);
    assert.equal((await again.store(CT_IMAGE, sop, ctDataset({ sop }, 300))).status, 0);
    await again.release();
    await new Promise((r) => setTimeout(r, 200));
    const files = storedFiles(t.dir).filter((f) => f.endsWith(`${sop}.dcm`));
    assert.equal(files.length, 2, 'one file per batch');
    const first = closedManifests(t.dir).sort((a, b) => a.timestamp - b.timestamp)[0]!;
    assert.equal(first.instances.length, 1, 'listed once in its manifest');
    assert.ok(readFileSync(join(t.dir, first.instances[0]!.key)).length > 200 + 132, 'the later instance replaced the earlier');
  } finally {
    await t.stop();
  }
});

test('the same SOP Instance UID again in one batch under another date, study or series replaces the earlier copy', async () => {
  const t = await startTestScp();
  try {
    const sop = freshUid();
    const other = freshUid();
    const scu = await connectScu(t.port);
    const copies = [
      ctDataset({ sop, studyDate: '20240102' }, 100),
      ctDataset({ sop, studyDate: '20231231' }, 200),
      ctDataset({ sop, studyDate: '20231231', series: '1.2.3.4.5.7' }, 300),
      ctDataset({ sop, studyDate: '20231231', series: '1.2.3.4.5.7', study: '1.2.3.4.6' }, 400),
    ];
    for (const dataset of copies) assert.equal((await scu.store(CT_IMAGE, sop, dataset)).status, 0);
    assert.equal((await scu.store(CT_IMAGE, other, ctDataset({ sop: other }))).status, 0);
    await scu.release();
    await new Promise((r) => setTimeout(r, 200));
    const files = storedFiles(t.dir).filter((f) => f.endsWith(`${sop}.dcm`));
    assert.equal(files.length, 1, `one copy left: ${files.join(', ')}`);
    assert.match(files[0]!, /\/2023\/12\/31\/\d+\/1\.2\.3\.4\.6\/1\.2\.3\.4\.5\.7\//);
    const stored = readFileSync(files[0]!);
    assert.ok(stored.subarray(stored.length - copies[3]!.length).equals(copies[3]!), 'the last copy');
    const [m] = closedManifests(t.dir);
    assert.deepEqual(m!.instances.map((i) => i.sopInstanceUid).sort(), [sop, other].sort(), 'listed once');
    assert.equal(m!.instances.find((i) => i.sopInstanceUid === sop)!.studyInstanceUid, '1.2.3.4.6');
  } finally {
    await t.stop();
  }
});

test('a replaced copy that cannot be deleted: the new copy is acknowledged and listed, and the log names the one left', async () => {
  const { log, logged } = recordingLog();
  let manifest: BatchManifest | undefined;
  const tracker = new BatchTracker(
    { callingAeTitle: 'SCU', calledAeTitle: 'STORESCP', peerAddress: '127.0.0.1:1' },
    {
      writer: {
        writeOpenMarker: async () => {},
        closeBatch: async (m) => void (manifest = m),
        deleteInstance: async () => {
          throw new Error('access denied');
        },
      },
      clock: new TimestampClock(),
      prefix: '',
      instanceId: 'test',
      log,
      metrics: createMetrics(),
    },
  );
  const stored = (batch: BatchRef, series: string): StoreResult & { key: string } => ({
    status: Status.Success,
    key: `2024/01/02/${batch.timestamp}/1.2.3/${series}/1.2.3.4.dcm`,
    datePath: '2024/01/02',
    studyInstanceUid: '1.2.3',
    seriesInstanceUid: series,
    sopInstanceUid: '1.2.3.4',
    sopClassUid: CT_IMAGE,
    studyDate: '20240102',
    size: 1000,
  });
  const first = tracker.assign();
  assert.equal((await tracker.settle(first, stored(first, '1.2.3.1'))).status, Status.Success);
  const second = tracker.assign();
  assert.equal((await tracker.settle(second, stored(second, '1.2.3.2'))).status, Status.Success);
  const left = logged.find((l) => l.event === 'batch.replaced-copy-left');
  assert.equal(left?.fields?.key, stored(first, '1.2.3.1').key);
  await tracker.closeAll('release');
  assert.deepEqual(manifest?.instances.map((i) => i.seriesInstanceUid), ['1.2.3.2']);
});

test('no StudyDate, or an invalid one, files the instance under today (UTC)', async () => {
  const t = await startTestScp();
  try {
    const scu = await connectScu(t.port);
    const today = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    for (const studyDate of ['', '1997.04.24', '20240231']) {
      const sop = freshUid();
      assert.equal((await scu.store(CT_IMAGE, sop, ctDataset({ sop, studyDate }))).status, 0);
      assert.ok(storedFiles(t.dir).find((f) => f.endsWith(`${sop}.dcm`))!.includes(`/${today}/`), `StudyDate "${studyDate}"`);
    }
    await scu.release();
  } finally {
    await t.stop();
  }
});
