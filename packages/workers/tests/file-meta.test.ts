import assert from 'node:assert/strict';
import { test } from 'node:test';
import dicomParser from 'dicom-parser';
import { fileMetaHeader, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../src/part10/file-meta.ts';

/** Read back with dicom-parser, an encoder-independent reader: each element's VR and exact value bytes, padding included. */
function elementsOf(header: Buffer): Map<string, [string | undefined, Buffer]> {
  const meta = dicomParser.readPart10Header(new Uint8Array(header));
  const out = new Map<string, [string | undefined, Buffer]>();
  let end = 0;
  for (const [tag, el] of Object.entries(meta.elements)) {
    assert.equal(el.length % 2, 0, `${tag} has an even length`);
    out.set(tag, [el.vr, header.subarray(el.dataOffset, el.dataOffset + el.length)]);
    end = Math.max(end, el.dataOffset + el.length);
  }
  assert.equal(end, header.length, 'the header is group 0002 and nothing else');
  return out;
}

test('fileMetaHeader frames a Part 10 file: preamble, DICM, a group length that matches, even padded values', () => {
  const header = fileMetaHeader({
    mediaStorageSopClassUid: '1.2.840.10008.5.1.4.1.1.2', // odd: padded with NUL
    mediaStorageSopInstanceUid: '2.25.1234', // odd: padded with NUL
    transferSyntaxUid: '1.2.840.10008.1.2.1',
    sourceAeTitle: 'CT1', // odd: padded with a space
  });
  assert.ok(header.subarray(0, 128).every((b) => b === 0));
  assert.equal(header.toString('latin1', 128, 132), 'DICM');
  const el = elementsOf(header);
  assert.equal(el.get('x00020000')![1].readUInt32LE(), header.length - 144, 'group length counts every element after it');
  assert.deepEqual(el.get('x00020001'), ['OB', Buffer.from([0x00, 0x01])]);
  assert.equal(el.get('x00020002')![1].toString('latin1'), '1.2.840.10008.5.1.4.1.1.2\0');
  assert.equal(el.get('x00020003')![1].toString('latin1'), '2.25.1234\0');
  assert.equal(el.get('x00020010')![1].toString('latin1'), '1.2.840.10008.1.2.1\0');
  assert.equal(el.get('x00020012')![1].toString('latin1').replace(/\0$/, ''), IMPLEMENTATION_CLASS_UID);
  assert.equal(el.get('x00020013')![1].toString('latin1').trimEnd(), IMPLEMENTATION_VERSION_NAME);
  assert.deepEqual(el.get('x00020016'), ['AE', Buffer.from('CT1 ', 'latin1')]);
});

test('fileMetaHeader leaves out Source AE Title when the caller has none', () => {
  const el = elementsOf(fileMetaHeader({ mediaStorageSopClassUid: '1.2', mediaStorageSopInstanceUid: '1.23', transferSyntaxUid: '1.2.840.10008.1.2', sourceAeTitle: '' }));
  assert.equal(el.has('x00020016'), false);
  assert.equal(el.get('x00020003')![1].toString('latin1'), '1.23');
});
