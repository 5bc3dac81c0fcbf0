/**
 * The read gate: while as many datasets wait for a worker slot as there are slots, a new
 * dataset's association is held (its socket not read) until the queue is short again, first come
 * first served. The line must keep moving however fast the workers drain the queue.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReadGate } from '../src/pool/read-gate.ts';
import type { FlowControl, PauseReason } from '../src/services/store-service.ts';
import { connectScu, ctDataset, CT_IMAGE, freshUid, startTestScp, storedFiles } from './helpers.ts';

function flow(name: string, log: string[]): FlowControl {
  return {
    pause: (r: PauseReason) => log.push(`${name} pause ${r}`),
    resume: (r: PauseReason) => log.push(`${name} resume ${r}`),
  };
}

test('a dataset is read at once while the queue for slots is short', () => {
  const log: string[] = [];
  const gate = new ReadGate(() => false);
  gate.enter(flow('a', log));
  assert.deepEqual(log, []);
  assert.equal(gate.size, 0);
});

test('while the queue is full new datasets are held, and let in one at a time, first come first served', () => {
  const log: string[] = [];
  let full = true;
  const gate = new ReadGate(() => full);
  const [a, b, c] = ['a', 'b', 'c'].map((n) => flow(n, log));
  gate.enter(a!);
  gate.enter(b!);
  gate.enter(c!);
  assert.deepEqual(log, ['a pause read-gate', 'b pause read-gate', 'c pause read-gate']);
  gate.next();
  assert.equal(gate.size, 3, 'nothing is let in while the queue is still full');
  full = false;
  gate.next();
  assert.deepEqual(log.slice(3), ['a resume read-gate']);
  assert.equal(gate.size, 2);
});

test('a held dataset that ends or arrives whole leaves the line and its socket is read again', () => {
  const log: string[] = [];
  const gate = new ReadGate(() => true);
  const [a, b] = ['a', 'b'].map((n) => flow(n, log));
  gate.enter(a!);
  gate.enter(b!);
  gate.leave(b!);
  assert.deepEqual(log, ['a pause read-gate', 'b pause read-gate', 'b resume read-gate']);
  assert.equal(gate.size, 1);
  gate.leave(b!);
  assert.equal(log.length, 3, 'leaving twice changes nothing');
});

test('each dataset let in passes the turn on when it leaves: the line moves even once the queue has drained', () => {
  const log: string[] = [];
  let full = true;
  const gate = new ReadGate(() => full);
  const [a, b, c] = ['a', 'b', 'c'].map((n) => flow(n, log));
  for (const e of [a, b, c]) gate.enter(e!);
  // The workers empty the queue: one slot frees, one dataset is let in, and then nothing else
  // frees a slot. Only the let-in dataset can move the line on.
  full = false;
  gate.next();
  gate.leave(a!);
  assert.deepEqual(log.slice(3), ['a resume read-gate', 'b resume read-gate']);
  gate.leave(b!);
  assert.deepEqual(log.slice(5), ['c resume read-gate']);
  assert.equal(gate.size, 0);
});

test('many associations on one worker slot: the gate holds some, every store succeeds, none is lost', async () => {
  const t = await startTestScp([], { pool: { threads: 1, tasksPerThread: 1, waitTimeoutMs: 60_000, maxWaiting: 1000 } });
  let maxHeld = 0;
  const sampler = setInterval(() => (maxHeld = Math.max(maxHeld, t.scp.pool.readGate.size)), 1);
  try {
    const sops = await Promise.all(
      Array.from({ length: 24 }, async () => {
        const scu = await connectScu(t.port);
        const sent: string[] = [];
        for (let i = 0; i < 4; i++) {
          const sop = freshUid();
          const rsp = await scu.store(CT_IMAGE, sop, ctDataset({ sop }, 200_000));
          assert.equal(rsp.status, 0, rsp.errorComment);
          sent.push(sop);
        }
        await scu.release();
        return sent;
      }),
    );
    assert.ok(maxHeld > 0, 'the gate held associations');
    assert.equal(t.scp.pool.readGate.size, 0, 'nobody is left in the line');
    const stored = new Set(storedFiles(t.dir).map((f) => f.slice(f.lastIndexOf('/') + 1, -4)));
    assert.deepEqual(sops.flat().filter((s) => !stored.has(s)), []);
  } finally {
    clearInterval(sampler);
    await t.stop();
  }
});
