/**
 * Property tests of the worker's dataset header reader on every corpus dataset, in its own transfer
 * syntax: truncations, bit flips, byte edits and corrupted length fields. readHeader must answer
 * with one of its three outcomes, never throw, and finish quickly (fuzz/oracles.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { corpusDatasets, mutate, mutations } from '../fuzz/arbitraries.ts';
import { readHeader } from '../../workers/src/header/read-header.ts';
import { readHeaderChecked } from '../fuzz/oracles.ts';

const corpus = corpusDatasets();
/** The store path reads from a 64 KiB probe upwards; mutations near the start matter most. */
const PROBE = 64 * 1024;
/** An index rather than the dataset, so that a counterexample prints short. */
const datasetIndex = fc.nat(corpus.length - 1);

test('the corpus itself: every dataset reads ok, complete or as its first 64 KiB', () => {
  assert.ok(corpus.length >= 30, `corpus has ${corpus.length} datasets`);
  for (const c of corpus) {
    assert.equal(readHeaderChecked(c.dataset, c.transferSyntaxUid, true).kind, 'ok', c.name);
    assert.notEqual(readHeaderChecked(c.dataset.subarray(0, PROBE), c.transferSyntaxUid, c.dataset.length <= PROBE).kind, 'unreadable', c.name);
  }
});

test('truncated corpus datasets: need-more while incomplete, never a throw', { timeout: 20_000 }, () => {
  fc.assert(
    fc.property(datasetIndex, fc.nat(PROBE), fc.boolean(), (i, cut, complete) => {
      const c = corpus[i]!;
      readHeaderChecked(c.dataset.subarray(0, cut), c.transferSyntaxUid, complete);
    }),
    { seed: 0xdc0, numRuns: 1500 },
  );
});

test('mutated corpus datasets (flips, edits, length fields) in each transfer syntax: one of the three outcomes', { timeout: 20_000 }, () => {
  fc.assert(
    fc.property(datasetIndex, mutations, fc.boolean(), (i, edits, complete) => {
      const c = corpus[i]!;
      // Mutations land in the part the reader parses (the prefix), as in the store path.
      const prefix = c.dataset.subarray(0, complete ? c.dataset.length : PROBE);
      readHeaderChecked(mutate(prefix.subarray(0, 4096), edits), c.transferSyntaxUid, false);
      readHeaderChecked(Buffer.concat([mutate(prefix.subarray(0, 4096), edits), prefix.subarray(4096)]), c.transferSyntaxUid, complete);
    }),
    { seed: 0xdc1, numRuns: 1500 },
  );
});

test('found by fuzzing: an empty dataset (or prefix) is need-more or unreadable, not a thrown string', () => {
  // dicom-parser's ByteStream constructor threw on an empty array outside readHeader's try.
  for (const ts of ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99']) {
    assert.equal(readHeaderChecked(new Uint8Array(0), ts, false).kind, 'need-more', ts);
    assert.equal(readHeaderChecked(new Uint8Array(0), ts, true).kind, 'unreadable', ts);
  }
});

test('found writing the header target: a prefix with 200,000 elements does not overflow the stack', () => {
  // The last tag read was computed as Math.max(...tags): a RangeError past ~100k elements.
  const count = 200_000;
  const dataset = Buffer.alloc(count * 8);
  for (let i = 0; i < count; i++) {
    // Distinct empty private LO elements in groups 0009, 000B, …: all before group 0020.
    dataset.writeUInt16LE(0x0009 + 2 * Math.floor(i / 0xffff), i * 8);
    dataset.writeUInt16LE((i % 0xffff) + 1, i * 8 + 2);
    dataset.write('LO', i * 8 + 4, 'latin1');
  }
  // readHeader itself: the oracle's time limit is for fuzz-sized inputs, this one is 1.6 MB. The
  // UIDs are not in it yet, so the answer is to read on.
  assert.equal(readHeader(dataset, '1.2.840.10008.1.2.1', false).kind, 'need-more');
});
