import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileMetaHeader, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../src/part10/file-meta.ts';

/** The group 0002 elements after "DICM", as element number → [VR, value bytes]. */
function elementsOf(header: Buffer): Map<number, [string, Buffer]> {
  const out = new Map<number, [string, Buffer]>();
  for (let at = 132; at < header.length; ) {
    assert.equal(header.readUInt16LE(at), 0x0002, `group at ${at}`);
    const element = header.readUInt16LE(at + 2);
    const vr = header.toString('latin1', at + 4, at + 6);
    const long = vr === 'OB';
    const length = long ? header.readUInt32LE(at + 8) : header.readUInt16LE(at + 6);
    const start = at + (long ? 12 : 8);
    assert.equal(length % 2, 0, `(0002,${element.toString(16)}) has an even length`);
    out.set(element, [vr, header.subarray(start, start + length)]);
    at = start + length;
  }
  return out;
}

test('fileMetaHeader frames a Part 10 file: preamble, DICM, a group length that matches, even padded values', () => {
  const header = fileMetaHeader({
    mediaStorageSopClassUid: '1.2.840.10008.5.1.4.1.1.2',
    mediaStorageSopInstanceUid: '2.25.1234', // odd: padded with NUL
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    sourceAeTitle: 'CT1', // odd: padded with a space
  });
  assert.ok(header.subarray(0, 128).every((b) => b === 0));
  assert.equal(header.toString('latin1', 128, 132), 'DICM');
  const el = elementsOf(header);
  assert.equal(el.get(0x0000)![1].readUInt32LE(), header.length - 144, 'group length counts every element after it');
  assert.deepEqual([...el.get(0x0001)![1]], [0x00, 0x01]);
  assert.equal(el.get(0x0002)![1].toString('latin1'), '1.2.840.10008.5.1.4.1.1.2\0');
  assert.equal(el.get(0x0003)![1].toString('latin1'), '2.25.1234\0');
  assert.equal(el.get(0x0010)![1].toString('latin1'), '1.2.840.10008.1.2.1\0');
  assert.equal(el.get(0x0012)![1].toString('latin1').replace(/\0$/, ''), IMPLEMENTATION_CLASS_UID);
  assert.equal(el.get(0x0013)![1].toString('latin1').trimEnd(), IMPLEMENTATION_VERSION_NAME);
  assert.deepEqual(el.get(0x0016), ['AE', Buffer.from('CT1 ', 'latin1')]);
});

test('fileMetaHeader leaves out Source AE Title when the caller has none', () => {
  const el = elementsOf(fileMetaHeader({ mediaStorageSopClassUid: '1.2', mediaStorageSopInstanceUid: '1.23', transferSyntaxUid: '1.2.840.10008.1.2', sourceAeTitle: '' }));
  assert.equal(el.has(0x0016), false);
  assert.equal(el.get(0x0003)![1].toString('latin1'), '1.23');
});
