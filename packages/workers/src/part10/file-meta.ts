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

/** One element of group 0002: its element number, VR, latin1 value and the byte that pads it to even length. */
type Element = [element: number, vr: 'UI' | 'SH' | 'AE', value: string, pad: number];

const PREAMBLE = 128;
/** (0002,0001) File Meta Information Version: OB, long form, value 00 01. */
const VERSION_ELEMENT = Buffer.from([0x02, 0x00, 0x01, 0x00, 0x4f, 0x42, 0, 0, 2, 0, 0, 0, 0x00, 0x01]);

const padded = (value: string) => value.length + (value.length % 2);

/**
 * Written into one buffer: the header is built for every stored instance, and building it from
 * a Buffer per element and concatenating took ~20 µs of the worker's time per instance.
 */
export function fileMetaHeader(f: FileMetaFields): Buffer {
  const elements: Element[] = [
    [0x0002, 'UI', f.mediaStorageSopClassUid, 0],
    [0x0003, 'UI', f.mediaStorageSopInstanceUid, 0],
    [0x0010, 'UI', f.transferSyntaxUid, 0],
    [0x0012, 'UI', IMPLEMENTATION_CLASS_UID, 0],
    [0x0013, 'SH', IMPLEMENTATION_VERSION_NAME, 0x20],
  ];
  if (f.sourceAeTitle) elements.push([0x0016, 'AE', f.sourceAeTitle, 0x20]);
  let groupLength = VERSION_ELEMENT.length;
  for (const [, , value] of elements) groupLength += 8 + padded(value);
  const out = Buffer.alloc(PREAMBLE + 4 + 12 + groupLength);
  let at = out.write('DICM', PREAMBLE, 'latin1') + PREAMBLE;
  at = shortHeader(out, at, 0x0000, 'UL', 4);
  at = out.writeUInt32LE(groupLength, at);
  at += VERSION_ELEMENT.copy(out, at);
  for (const [element, vr, value, pad] of elements) {
    at = shortHeader(out, at, element, vr, padded(value));
    at += out.write(value, at, 'latin1');
    if (value.length % 2) out[at++] = pad;
  }
  return out;
}

/** Tag, VR and 2-byte length of a short-form element of group 0002; returns the offset after it. */
function shortHeader(out: Buffer, at: number, element: number, vr: string, length: number): number {
  out.writeUInt16LE(0x0002, at);
  out.writeUInt16LE(element, at + 2);
  out.write(vr, at + 4, 'latin1');
  return out.writeUInt16LE(length, at + 6);
}
