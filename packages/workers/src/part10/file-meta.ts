/** Part 10 file framing (PS3.10 7.1): 128-byte preamble, "DICM", File Meta Information in Explicit VR LE. */

/** This product's identity in A-ASSOCIATE-AC and in the meta header of every stored file. */
export const IMPLEMENTATION_CLASS_UID = '1.2.826.0.1.3680043.10.1512.1.1';
export const IMPLEMENTATION_VERSION_NAME = 'STORESCP_AHI_01';

export interface FileMetaFields {
  mediaStorageSopClassUid: string;
  mediaStorageSopInstanceUid: string;
  transferSyntaxUid: string;
  sourceAeTitle: string;
}

function padded(value: string, pad: number): Buffer {
  const b = Buffer.from(value, 'latin1');
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.from([pad])]);
}

/** Short-form element (2-byte length VRs). */
function short(group: number, element: number, vr: string, value: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.write(vr, 4, 'latin1');
  h.writeUInt16LE(value.length, 6);
  return Buffer.concat([h, value]);
}

/** OB and other long-form VRs: 2 reserved bytes and a 4-byte length. */
function long(group: number, element: number, vr: string, value: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.write(vr, 4, 'latin1');
  h.writeUInt32LE(value.length, 8);
  return Buffer.concat([h, value]);
}

export function fileMetaHeader(f: FileMetaFields): Buffer {
  const body = Buffer.concat([
    long(0x0002, 0x0001, 'OB', Buffer.from([0x00, 0x01])),
    short(0x0002, 0x0002, 'UI', padded(f.mediaStorageSopClassUid, 0)),
    short(0x0002, 0x0003, 'UI', padded(f.mediaStorageSopInstanceUid, 0)),
    short(0x0002, 0x0010, 'UI', padded(f.transferSyntaxUid, 0)),
    short(0x0002, 0x0012, 'UI', padded(IMPLEMENTATION_CLASS_UID, 0)),
    short(0x0002, 0x0013, 'SH', padded(IMPLEMENTATION_VERSION_NAME, 0x20)),
    ...(f.sourceAeTitle ? [short(0x0002, 0x0016, 'AE', padded(f.sourceAeTitle, 0x20))] : []),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), short(0x0002, 0x0000, 'UL', groupLength), body]);
}
