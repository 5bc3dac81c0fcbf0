import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readHeader } from '../src/header/read-header.ts';
import { DatasetStructure, hasLongLength } from '../src/dataset-structure.ts';
import { TransferSyntax } from '../src/transfer-syntaxes.ts';

/** An explicit VR element, its length in the form the structure walk reads. */
function element(little: boolean, group: number, elem: number, vr: string, value: Uint8Array): Buffer {
  const long = hasLongLength(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  const u16 = (v: number, at: number) => (little ? head.writeUInt16LE(v, at) : head.writeUInt16BE(v, at));
  u16(group, 0);
  u16(elem, 2);
  head.write(vr, 4, 'latin1');
  if (!long) u16(value.length, 6);
  else if (little) head.writeUInt32LE(value.length, 8);
  else head.writeUInt32BE(value.length, 8);
  return Buffer.concat([head, value]);
}

const text = (s: string) => Buffer.from(s.length % 2 ? `${s}\0` : s, 'latin1');

/** What readHeader finds in a dataset made by `withUids`. */
const FIELDS = { sopClassUid: '1.2.840.10008.5.1.4.1.1.7', sopInstanceUid: '1.2.3.4', studyInstanceUid: '1.2.3.4.1', seriesInstanceUid: '1.2.3.4.1.1' };

/** A dataset's start: SOP Class and Instance UID, then `between`, then Study and Series Instance UID. */
function withUids(little: boolean, between: Buffer[] = []): Buffer {
  return Buffer.concat([
    element(little, 0x0008, 0x0016, 'UI', text(FIELDS.sopClassUid)),
    element(little, 0x0008, 0x0018, 'UI', text(FIELDS.sopInstanceUid)),
    ...between,
    element(little, 0x0020, 0x000d, 'UI', text(FIELDS.studyInstanceUid)),
    element(little, 0x0020, 0x000e, 'UI', text(FIELDS.seriesInstanceUid)),
  ]);
}

test('OV, SV, UV and VRs it does not know, before the UIDs, are read in their 4-byte length form', () => {
  // dicom-parser 1.8.21 read these with a 2-byte length and lost its place (patches/dicom-parser@*.patch).
  for (const [ts, little] of [[TransferSyntax.ExplicitVRLittleEndian, true], [TransferSyntax.ExplicitVRBigEndian, false]] as const) {
    const el = (g: number, e: number, vr: string, value: Uint8Array) => element(little, g, e, vr, value);
    const dataset = withUids(little, [
      el(0x0008, 0x0020, 'DA', text('20261206')),
      el(0x0009, 0x0010, 'LO', text('STORESCP TEST')),
      el(0x0009, 0x1001, 'OV', new Uint8Array(16)),
      el(0x0009, 0x1002, 'SV', new Uint8Array(8).fill(0xff)),
      el(0x0009, 0x1003, 'UV', new Uint8Array(8).fill(0x41)),
      el(0x0009, 0x1004, 'ZZ', new Uint8Array(6)),
    ]);
    const outcome = readHeader(dataset, ts, true);
    assert.deepEqual(outcome, { kind: 'ok', fields: { ...FIELDS, studyDate: '20261206' } }, ts);
    // The structure walk, which decides whether the dataset is stored, reads them the same way.
    const structure = new DatasetStructure(ts);
    structure.push(dataset);
    structure.end();
  }
});

test('parsing stops after the Series Instance UID: a prefix that ends there, or what follows it, needs no more', () => {
  const uids = withUids(true);
  // Cut right after (0020,000E), or with the start of a long element after it: enough either way.
  assert.deepEqual(readHeader(uids, TransferSyntax.ExplicitVRLittleEndian, false), { kind: 'ok', fields: FIELDS });
  const pixels = element(true, 0x7fe0, 0x0010, 'OW', new Uint8Array(4096)).subarray(0, 100);
  assert.deepEqual(readHeader(Buffer.concat([uids, pixels]), TransferSyntax.ExplicitVRLittleEndian, false), { kind: 'ok', fields: FIELDS });
  // Cut before it: more is read.
  assert.equal(readHeader(uids.subarray(0, uids.length - 20), TransferSyntax.ExplicitVRLittleEndian, false).kind, 'need-more');
});

test('a Series Instance UID inside a sequence item neither stops the read nor stands in for the dataset\'s own', () => {
  const referenced = element(true, 0x0020, 0x000e, 'UI', text('9.9.9'));
  const item = Buffer.concat([Buffer.from([0xfe, 0xff, 0x00, 0xe0]), Buffer.alloc(4), referenced]);
  item.writeUInt32LE(referenced.length, 4);
  const dataset = withUids(true, [element(true, 0x0008, 0x1115, 'SQ', item)]); // Referenced Series Sequence
  assert.deepEqual(readHeader(dataset, TransferSyntax.ExplicitVRLittleEndian, false), { kind: 'ok', fields: FIELDS });
});
