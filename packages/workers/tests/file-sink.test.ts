import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileSink, unwritten } from '../src/sinks/file-sink.ts';

test('put writes the whole object under its key and leaves no temporary file', async () => {
  const root = mkdtempSync(join(tmpdir(), 'file-sink-'));
  try {
    const sink = new FileSink(root);
    const { size } = await sink.put('a/b/c.dcm', [[new Uint8Array([1, 2]), new Uint8Array([3])]]);
    assert.equal(size, 3);
    assert.deepEqual([...readFileSync(join(root, 'a/b/c.dcm'))], [1, 2, 3]);
    assert.deepEqual(readdirSync(join(root, 'a/b')), ['c.dcm']);
    await assert.rejects(sink.put('../escape.dcm', []), /escapes the storage root/);
    rmSync(join(root, 'a'), { recursive: true });
    await sink.put('a/b/d.dcm', [[new Uint8Array([4])]]);
    assert.deepEqual(readdirSync(join(root, 'a/b')), ['d.dcm'], 'a directory removed meanwhile is made again');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('removeStaleTemporaries deletes only old temporary files a killed writer left', async () => {
  const root = mkdtempSync(join(tmpdir(), 'file-sink-'));
  try {
    mkdirSync(join(root, '2024/01/02'), { recursive: true });
    const stale = join(root, '2024/01/02/.0123456789ab.tmp');
    const fresh = join(root, '2024/01/02/.ba9876543210.tmp');
    const data = join(root, '2024/01/02/1.2.3.dcm');
    const lookalike = join(root, '2024/01/02/.notes.tmp');
    for (const f of [stale, fresh, data, lookalike]) writeFileSync(f, 'x');
    const twoHoursAgo = (Date.now() - 2 * 3600_000) / 1000;
    for (const f of [stale, data, lookalike]) utimesSync(f, twoHoursAgo, twoHoursAgo);
    assert.equal(await new FileSink(root).removeStaleTemporaries(3600_000), 1);
    assert.deepEqual([stale, fresh, data, lookalike].map((f) => existsSync(f)), [false, true, true, true]);
    assert.equal(await new FileSink(join(root, 'missing')).removeStaleTemporaries(0), 0, 'no storage yet: nothing to do');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a short writev goes on from the first byte not written', () => {
  const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array([4]), new Uint8Array([5, 6])];
  const rest = (n: number) => unwritten(chunks, n).map((c) => [...c]);
  assert.deepEqual(rest(0), [[1, 2, 3], [4], [5, 6]]);
  assert.deepEqual(rest(2), [[3], [4], [5, 6]]);
  assert.deepEqual(rest(3), [[4], [5, 6]]);
  assert.deepEqual(rest(5), [[6]]);
  assert.deepEqual(rest(6), []);
});

test('a group of many chunks (more than IOV_MAX) is written whole, in order', async () => {
  const root = mkdtempSync(join(tmpdir(), 'file-sink-'));
  try {
    const chunks = Array.from({ length: 3000 }, (_, i) => new Uint8Array([i % 251, (i * 7) % 251]));
    const { size } = await new FileSink(root).put('many.dcm', [chunks]);
    assert.equal(size, 6000);
    assert.ok(readFileSync(join(root, 'many.dcm')).equals(Buffer.concat(chunks)));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
