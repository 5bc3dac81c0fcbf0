import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StagePool } from '../src/pool/stage-pool.ts';

test('stages are whole ArrayBuffers of their own, reused once recycled, and the idle ones are capped', () => {
  const pool = new StagePool(1024);
  const a = pool.acquire(1024);
  const b = pool.acquire(1024);
  assert.equal(a.byteLength, 1024);
  assert.equal(a.buffer.byteLength, 1024, 'a buffer of its own, so it can be transferred');
  assert.notEqual(a.buffer, b.buffer);
  pool.recycle(a.buffer as ArrayBuffer);
  pool.recycle(b.buffer as ArrayBuffer);
  assert.equal(pool.idleStages, 1);
  pool.recycle(new ArrayBuffer(10));
  assert.equal(pool.idleStages, 1, 'a foreign buffer is not kept');
  assert.equal(pool.acquire(1024).buffer, a.buffer);
});

test('each size has its own free list; the idle cap counts all sizes together', () => {
  const pool = new StagePool(2048);
  const small = [pool.acquire(256), pool.acquire(256), pool.acquire(256), pool.acquire(256)];
  const large = [pool.acquire(1024), pool.acquire(1024)];
  for (const s of small) pool.recycle(s.buffer as ArrayBuffer);
  for (const l of large) pool.recycle(l.buffer as ArrayBuffer);
  assert.equal(pool.idleStages, 5, 'four small stages (1024 bytes) and one large fill the 2048');
  assert.equal(pool.acquire(1024).buffer, large[0]!.buffer, 'a large stage is served from the large list');
  assert.equal(pool.acquire(256).byteLength, 256);
  pool.recycle(large[1]!.buffer as ArrayBuffer);
  assert.equal(pool.idleStages, 4, 'room again once stages were taken');
});
