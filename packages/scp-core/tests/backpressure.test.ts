/**
 * Promise 3: when the pool falls behind, the SCP stops reading senders' sockets, and a C-STORE
 * that cannot get a worker within the bounded wait is answered 0xA700; nothing buffers without
 * limit and every acknowledged instance is stored. One worker slot and a 1 MB budget make a
 * handful of senders saturate it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectScu, ctDataset, CT_IMAGE, freshUid, startTestScp, storedFiles } from './helpers.ts';

test('saturated: sockets are paused, late stores get 0xA700, acknowledged ones are all stored', async () => {
  const t = await startTestScp([], { pool: { threads: 1, tasksPerThread: 1, budgetBytes: 1024 * 1024, waitTimeoutMs: 30, maxWaiting: 1000 } });
  let maxPaused = 0;
  let maxInFlight = 0;
  const sampler = setInterval(async () => {
    maxPaused = Math.max(maxPaused, (await t.scp.metrics.socketsPaused.get()).values[0]?.value ?? 0);
    maxInFlight = Math.max(maxInFlight, (await t.scp.metrics.bytesInFlight.get()).values[0]?.value ?? 0);
  }, 2);
  try {
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const scu = await connectScu(t.port);
        const results: { sop: string; status: number; comment?: string }[] = [];
        for (let i = 0; i < 4; i++) {
          const sop = freshUid();
          const rsp = await scu.store(CT_IMAGE, sop, ctDataset({ sop }, 3_000_000));
          results.push({ sop, status: rsp.status ?? -1, ...(rsp.errorComment ? { comment: rsp.errorComment } : {}) });
        }
        await scu.release();
        return results;
      }),
    );
    const all = outcomes.flat();
    const busy = all.filter((r) => r.status === 0xa700);
    const ok = all.filter((r) => r.status === 0);
    assert.equal(busy.length + ok.length, all.length, 'only success or 0xA700');
    assert.ok(busy.length > 0, 'the bounded wait answered 0xA700');
    assert.ok(busy.every((r) => /busy|waiting/.test(r.comment ?? '')), 'with a comment saying why');
    assert.ok(ok.length > 0);
    assert.ok(maxPaused > 0, 'sockets were paused by backpressure');
    const stored = new Set(storedFiles(t.dir).map((f) => f.slice(f.lastIndexOf('/') + 1, -4)));
    assert.deepEqual(ok.filter((r) => !stored.has(r.sop)), [], 'acknowledged but not stored');
    assert.ok(busy.every((r) => !stored.has(r.sop)), 'refused instances were not stored');
    // In flight stays near the budget: one staging chunk per paused association past it, never the senders' 96 MB.
    assert.ok(maxInFlight < 16 * 1024 * 1024, `bytes in flight peaked at ${maxInFlight}`);
  } finally {
    clearInterval(sampler);
    await t.stop();
  }
});

test('the bytes-in-flight gauge follows bytes as they arrive and leave, not only pool events', async () => {
  const t = await startTestScp();
  const inFlight = async () => (await t.scp.metrics.bytesInFlight.get()).values[0]?.value ?? 0;
  const until = async (what: string, ok: (v: number) => boolean) => {
    for (let i = 0; i < 200 && !ok(await inFlight()); i++) await sleep(10);
    assert.ok(ok(await inFlight()), `${what}: ${await inFlight()}`);
  };
  try {
    const scu = await connectScu(t.port);
    const sop = freshUid();
    const pcId = scu.beginStore(CT_IMAGE, sop);
    // Half a small dataset: buffered on the main thread, no pool event yet.
    scu.sendDataset(pcId, ctDataset({ sop }, 300_000).subarray(0, 200_000), false);
    await until('half a dataset received', (v) => v >= 200_000);
    scu.abort();
    await until('the association aborted', (v) => v === 0);
  } finally {
    await t.stop();
  }
});
