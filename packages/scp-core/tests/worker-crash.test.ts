/** A worker thread that dies mid-store fails only its own instance; the pool replaces it (issue 6). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allFiles, connectScu, ctDataset, CT_IMAGE, freshUid, startTestScp, storedFiles, storeOne } from './helpers.ts';

test('terminating a worker thread during a large store: that C-STORE gets 0xA700, nothing partial stays, the next ones succeed', async () => {
  const t = await startTestScp(['--worker-threads', '1']);
  try {
    const scu = await connectScu(t.port, { maxPduLength: 1 << 20 });
    const sop = freshUid();
    const pending = scu.store(CT_IMAGE, sop, ctDataset({ sop }, 200_000_000));
    // Terminate the thread once it is writing this object (its temp file exists).
    for (let i = 0; i < 400 && !allFiles(t.dir).some((f) => f.endsWith('.tmp')); i++) await new Promise((r) => setTimeout(r, 10));
    const [thread] = t.scp.pool.threads;
    assert.ok(thread, 'a worker thread is running');
    await thread.terminate();
    const rsp = await pending;
    assert.equal(rsp.status, 0xa700, 'the sender is told to retry');
    assert.match(rsp.errorComment ?? '', /worker/);
    assert.equal(storedFiles(t.dir).filter((f) => f.includes(sop)).length, 0, 'nothing under a final key');
    const again = freshUid();
    assert.equal((await scu.store(CT_IMAGE, again, ctDataset({ sop: again }))).status, 0, 'the same association goes on');
    await scu.release();
    assert.equal(await storeOne(t.port), 0, 'and new ones too');
  } finally {
    await t.stop();
  }
});
