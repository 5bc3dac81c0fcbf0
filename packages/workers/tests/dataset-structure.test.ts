import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { deflateRawSync } from 'node:zlib';
import { DatasetMalformed, DatasetStructure } from '../src/dataset-structure.ts';
import { InflatedStructure } from '../src/inflated-structure.ts';
import { readPart10Meta } from '../src/part10/read-meta.ts';
import { TransferSyntax } from '../src/transfer-syntaxes.ts';

const CORPUS = new URL('../../../testdata/dicom/', import.meta.url);

/** A Part 10 file's dataset and transfer syntax. */
function part10(name: string): { dataset: Uint8Array; ts: string } {
  const file = readFileSync(new URL(name, CORPUS));
  const meta = readPart10Meta(file);
  return { dataset: file.subarray(meta.datasetOffset), ts: meta.transferSyntaxUid };
}

/** Undefined when the dataset adds up, else why not. */
function check(dataset: Uint8Array, ts: string, chunk = dataset.length): string | undefined {
  const s = new DatasetStructure(ts);
  try {
    for (let p = 0; p < dataset.length; p += chunk) s.push(dataset.subarray(p, p + chunk));
    s.end();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof DatasetMalformed, String(err));
    return err.message;
  }
}

const checked = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.dcm'))
  .map((name) => ({ name, ...part10(name) }))
  .filter((f) => f.ts !== TransferSyntax.DeflatedExplicitVRLittleEndian);

test('every file of the corpus adds up, however its bytes are split', () => {
  assert.ok(checked.length >= 30);
  for (const { name, dataset, ts } of checked) {
    for (const chunk of [1, 3, 8, 13, 4096, dataset.length]) assert.equal(check(dataset, ts, chunk), undefined, `${name}, chunks of ${chunk}`);
  }
});

test('a dataset cut short is malformed, wherever it is cut inside an element', () => {
  for (const { name, dataset, ts } of checked) {
    // One byte short cuts the last value (or header); halfway is inside Pixel Data or a sequence.
    for (const cut of [dataset.length - 1, dataset.length - 2, Math.floor(dataset.length / 2)]) {
      assert.match(check(dataset.subarray(0, cut), ts) ?? 'passed', /cut short|after the last element|expected an item/, `${name} cut at ${cut}`);
    }
  }
});

test('bytes after the last element are malformed', () => {
  for (const { name, dataset, ts } of checked.slice(0, 10)) {
    for (const extra of [1, 2, 7]) {
      const padded = Buffer.concat([dataset, new Uint8Array(extra).fill(0x20)]);
      assert.match(check(padded, ts) ?? 'passed', /after the last element/, `${name} + ${extra}`);
    }
  }
});

test('Pixel Data of defined length on a compressed transfer syntax is malformed', () => {
  const jpeg = '1.2.840.10008.1.2.4.50';
  const pixels = Buffer.concat([Buffer.from([0xe0, 0x7f, 0x10, 0x00]), Buffer.from('OB\0\0', 'latin1'), u32(4), Buffer.from([1, 2, 3, 4])]);
  assert.match(check(pixels, jpeg) ?? 'passed', /Pixel Data of defined length/);
  assert.equal(check(pixels, TransferSyntax.ExplicitVRLittleEndian), undefined);
});

const el = (group: number, element: number, vr: string, value: Uint8Array, length = value.length) =>
  Buffer.concat([u16(group), u16(element), Buffer.from(vr, 'latin1'), ...(['SQ', 'OB', 'UN', 'ZZ'].includes(vr) ? [u16(0), u32(length)] : [u16(length)]), value]);

test('unclosed sequences and misplaced delimiters are malformed', () => {
  const item = (content: Uint8Array, undefinedLength = false) => Buffer.concat([u16(0xfffe), u16(0xe000), u32(undefinedLength ? 0xffffffff : content.length), content]);
  const itemEnd = Buffer.concat([u16(0xfffe), u16(0xe00d), u32(0)]);
  const seqEnd = Buffer.concat([u16(0xfffe), u16(0xe0dd), u32(0)]);
  const name = el(0x0010, 0x0010, 'PN', Buffer.from('A^B '));
  const ts = TransferSyntax.ExplicitVRLittleEndian;
  const sequence = (body: Uint8Array) => el(0x0040, 0x0275, 'SQ', body, 0xffffffff);

  assert.equal(check(Buffer.concat([sequence(Buffer.concat([item(Buffer.concat([name, itemEnd]), true), item(name), seqEnd])), name]), ts), undefined);
  assert.match(check(sequence(Buffer.concat([item(Buffer.concat([name, itemEnd]), true)])), ts) ?? 'passed', /not closed/);
  assert.match(check(sequence(item(name, true)), ts) ?? 'passed', /not closed/);
  assert.match(check(Buffer.concat([name, seqEnd]), ts) ?? 'passed', /outside a sequence/);
  assert.match(check(sequence(Buffer.concat([name, seqEnd])), ts) ?? 'passed', /expected an item/);
  // Implicit VR: the same sequence without VRs, closed and not.
  const implicit = (body: Uint8Array) => Buffer.concat([u16(0x0040), u16(0x0275), u32(0xffffffff), body]);
  const implicitName = Buffer.concat([u16(0x0010), u16(0x0010), u32(4), Buffer.from('A^B ')]);
  assert.equal(check(implicit(Buffer.concat([item(implicitName), seqEnd])), TransferSyntax.ImplicitVRLittleEndian), undefined);
  assert.match(check(implicit(item(implicitName)), TransferSyntax.ImplicitVRLittleEndian) ?? 'passed', /not closed/);
  // A flood of nested sequence headers is refused at a bounded depth, not stacked without end.
  const opening = Buffer.concat([u16(0x0040), u16(0x0275), u32(0xffffffff), u16(0xfffe), u16(0xe000), u32(0xffffffff)]);
  assert.match(check(Buffer.concat(Array.from({ length: 100_000 }, () => opening)), TransferSyntax.ImplicitVRLittleEndian) ?? 'passed', /nested deeper than 128 levels/);
  const closing = Buffer.concat([u16(0xfffe), u16(0xe00d), u32(0), u16(0xfffe), u16(0xe0dd), u32(0)]);
  const nested = (levels: number) => Buffer.concat([...Array.from({ length: levels }, () => opening), ...Array.from({ length: levels }, () => closing)]);
  assert.equal(check(nested(128), TransferSyntax.ImplicitVRLittleEndian), undefined, '128 levels');
  assert.match(check(nested(129), TransferSyntax.ImplicitVRLittleEndian) ?? 'passed', /nested deeper than 128 levels/);
});

test('what dcmtk reads past is read past: zero padding, a stray item delimiter, VRs it does not know', () => {
  // Found by a review that sent the same bytes to dcmtk's storescp, which answered 0x0000.
  const name = el(0x0010, 0x0010, 'PN', Buffer.from('A^B '));
  const ts = TransferSyntax.ExplicitVRLittleEndian;
  const implicitName = Buffer.concat([u16(0x0010), u16(0x0010), u32(4), Buffer.from('A^B ')]);
  for (const zeros of [2, 4, 7, 8, 16, 128]) {
    assert.equal(check(Buffer.concat([name, new Uint8Array(zeros)]), ts), undefined, `${zeros} zero bytes of padding`);
    assert.equal(check(Buffer.concat([implicitName, new Uint8Array(zeros)]), TransferSyntax.ImplicitVRLittleEndian), undefined, `${zeros} zero bytes, implicit VR`);
  }
  // One zero byte could be the first of a cut header (group 0x6000 in little endian, 0x0028 in big endian).
  assert.match(check(Buffer.concat([name, new Uint8Array(1)]), ts) ?? 'passed', /1 bytes after the last element/);
  assert.equal(check(Buffer.concat([name, Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]), name]), ts), undefined, 'an item delimiter at the top level');
  assert.equal(check(Buffer.concat([el(0x0009, 0x1010, 'ZZ', new Uint8Array(6)), name]), ts), undefined, 'an unknown VR has the long header');
  assert.equal(check(Buffer.concat([el(0x0009, 0x1010, 'xs', new Uint8Array(6)), name]), ts), undefined, 'two bytes that are no VR: a 2-byte length');
  // Big endian: the inside of an undefined-length UN is implicit VR little endian (PS3.5 6.2.2).
  const be16 = (v: number) => Buffer.from([v >> 8, v & 0xff]);
  const be32 = (v: number) => Buffer.from([v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);
  const inner = Buffer.concat([u16(0xfffe), u16(0xe000), u32(12), u16(0x0010), u16(0x0010), u32(4), Buffer.from('A^B '), u16(0xfffe), u16(0xe0dd), u32(0)]);
  const bigEndian = Buffer.concat([be16(0x0009), be16(0x1010), Buffer.from('UN\0\0', 'latin1'), be32(0xffffffff), inner, be16(0x0010), be16(0x0010), Buffer.from('PN'), be16(4), Buffer.from('A^B ')]);
  assert.equal(check(bigEndian, TransferSyntax.ExplicitVRBigEndian), undefined);
});

test('a deflated dataset is inflated as it arrives and walked: whole passes, a cut stream or a cut dataset does not', async () => {
  const inflatedCheck = async (deflated: Uint8Array, chunk: number) => {
    const s = new InflatedStructure();
    try {
      for (let p = 0; p < deflated.length; p += chunk) await s.push(deflated.subarray(p, p + chunk));
      await s.end();
      return undefined;
    } catch (err) {
      assert.ok(err instanceof DatasetMalformed, String(err));
      return err.message;
    } finally {
      s.close();
    }
  };
  const deflated = readdirSync(CORPUS)
    .filter((f) => f.endsWith('.dcm'))
    .map((name) => ({ name, ...part10(name) }))
    .filter((f) => f.ts === TransferSyntax.DeflatedExplicitVRLittleEndian);
  assert.ok(deflated.length >= 2);
  for (const { name, dataset } of deflated) {
    for (const chunk of [7, 4096, dataset.length]) assert.equal(await inflatedCheck(dataset, chunk), undefined, `${name}, chunks of ${chunk}`);
  }
  // Explicit VR little endian inside; cut before deflating, or the deflate stream itself cut.
  const plain = checked.find((f) => f.ts === TransferSyntax.ExplicitVRLittleEndian)!.dataset;
  assert.equal(await inflatedCheck(deflateRawSync(plain), 1000), undefined);
  assert.match((await inflatedCheck(deflateRawSync(plain.subarray(0, plain.length - 5)), 1000)) ?? 'passed', /cut short/);
  const stream = deflateRawSync(plain);
  assert.match((await inflatedCheck(stream.subarray(0, stream.length - 4), 1000)) ?? 'passed', /deflate stream: unexpected end/);
});

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}
