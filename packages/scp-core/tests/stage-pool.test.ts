import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StagePool } from '../src/pool/stage-pool.ts';

test('stages are whole ArrayBuffers of their own, reused once recycled, and the idle ones are capped', () => {
  const pool = new StagePool(1024, 1);
  const a = pool.acquire();
  const b = pool.acquire();
  assert.equal(a.byteLength, 1024);
  assert.equal(a.buffer.byteLength, 1024, 'a buffer of its own, so it can be transferred');
  assert.notEqual(a.buffer, b.buffer);
  pool.recycle(a.buffer as ArrayBuffer);
  pool.recycle(b.buffer as ArrayBuffer);
  assert.equal(pool.idleStages, 1);
  pool.recycle(new ArrayBuffer(10));
  assert.equal(pool.idleStages, 1, 'a foreign buffer is not kept');
  assert.equal(pool.acquire().buffer, a.buffer);
});
