import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeCorpus } from '../src/synthetic/corpus.ts';
import { concat } from '../src/synthetic/elements.ts';
import { FRAME_BYTES } from '../src/synthetic/instances.ts';
import { SyntheticSource } from '../src/synthetic/in-memory.ts';
import { part10Header } from '../src/synthetic/part10.ts';

/** dcmdump's value of one tag (dcmtk parses the whole file; a malformed one makes it exit non-zero). */
function dcmdumpValue(file: string, tagSpec: string): string {
  const out = execFileSync('dcmdump', ['-q', '+P', tagSpec, file], { encoding: 'utf8' });
  return /\[(.*?)\]/.exec(out)?.[1] ?? '';
}

test('the corpus parses with dcmdump, holds the manifest UIDs, and has the sizes it claims', { timeout: 30_000 }, async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'synthetic-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const entries = await writeCorpus(dir, { ct: 4, studies: 2, multiFrameMb: 2 });
  assert.equal(entries.length, 5);
  assert.equal(new Set(entries.map((e) => e.sopInstanceUid)).size, 5);
  assert.equal(new Set(entries.slice(0, 4).map((e) => e.studyUid)).size, 2);
  for (const e of entries) {
    const file = path.join(dir, e.file);
    assert.equal((await stat(file)).size, e.bytes);
    assert.equal(dcmdumpValue(file, '0008,0018'), e.sopInstanceUid);
    assert.equal(dcmdumpValue(file, '0002,0003'), e.sopInstanceUid);
    assert.equal(dcmdumpValue(file, '0020,000d'), e.studyUid);
    assert.match(dcmdumpValue(file, '0008,0020'), /^\d{8}$/);
  }
  const ct = entries[0]!;
  assert.ok(ct.bytes > FRAME_BYTES && ct.bytes < FRAME_BYTES + 2048, `CT is ${ct.bytes} bytes`);
  const mf = entries[4]!;
  assert.equal(mf.file, path.join('mf', 'MF_2MB.dcm'));
  assert.equal(dcmdumpValue(path.join(dir, mf.file), '0028,0008'), '4'); // ceil(2e6 / 524288) frames
  assert.ok(mf.bytes > 4 * FRAME_BYTES && mf.bytes < 4 * FRAME_BYTES + 2048);
  const manifest = (await readFile(path.join(dir, 'manifest.tsv'), 'utf8')).trim().split('\n');
  assert.equal(manifest.length, 6);
  assert.deepEqual(manifest[5]!.split('\t'), [mf.file, mf.sopInstanceUid, mf.studyUid, String(mf.bytes)]);
});

test('in-memory instances have fresh UIDs, the requested size and a dataset dcmdump accepts', { timeout: 30_000 }, async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'synthetic-mem-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [size, expected] of [[100_000, 100_352], [524_288, FRAME_BYTES], [3_000_000, 6 * FRAME_BYTES]] as const) {
    const source = new SyntheticSource(size, 2);
    const a = source.next();
    const b = source.next();
    assert.notEqual(a.sopInstanceUid, b.sopInstanceUid);
    assert.equal(a.length, a.parts.reduce((n, p) => n + p.length, 0));
    assert.ok(a.length - expected > 0 && a.length - expected < 2048, `${size}: dataset is ${a.length} bytes`);
    const file = path.join(dir, `${size}.dcm`);
    await writeFile(file, concat([part10Header(a.sopClassUid, a.sopInstanceUid, a.transferSyntaxUid), ...a.parts]));
    assert.equal(dcmdumpValue(file, '0008,0018'), a.sopInstanceUid);
  }
});
