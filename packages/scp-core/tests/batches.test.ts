/** Batch records on storage: the open marker before the first ack, the manifest at the end, duplicates. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { BatchManifest } from '@storescp/workers';
import { connectScu, ctDataset, CT_IMAGE, freshUid, startTestScp, storedFiles } from './helpers.ts';

const manifests = (dir: string): BatchManifest[] => {
  const d = join(dir, '_batches', 'closed');
  return existsSync(d) ? readdirSync(d).map((f) => JSON.parse(readFileSync(join(d, f), 'utf8'))) : [];
};

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
    const [m] = manifests(t.dir);
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
    const first = manifests(t.dir).sort((a, b) => a.timestamp - b.timestamp)[0]!;
    assert.equal(first.instances.length, 1, 'listed once in its manifest');
    assert.ok(readFileSync(join(t.dir, first.instances[0]!.key)).length > 200 + 132, 'the later instance replaced the earlier');
  } finally {
    await t.stop();
  }
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
