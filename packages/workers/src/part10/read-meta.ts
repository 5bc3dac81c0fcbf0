/** Reads the File Meta Information of a Part 10 file: what an SCU needs to send its dataset unchanged, and where the dataset starts. */

export interface Part10Meta {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** Offset of the dataset (the first byte after group 0002). */
  datasetOffset: number;
}

export function readPart10Meta(file: Uint8Array): Part10Meta {
  if (file.length < 132 || String.fromCharCode(...file.subarray(128, 132)) !== 'DICM') throw new Error('not a DICOM Part 10 file (no DICM at 128)');
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const out: Partial<Part10Meta> = {};
  let p = 132;
  // Group 0002 is always Explicit VR Little Endian; walk it rather than trusting (0002,0000).
  while (p + 8 <= file.length && v.getUint16(p, true) === 0x0002) {
    const element = v.getUint16(p + 2, true);
    const vr = String.fromCharCode(file[p + 4]!, file[p + 5]!);
    const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN', 'UC', 'UR', 'OD', 'OL', 'OV'].includes(vr);
    const length = long ? v.getUint32(p + 8, true) : v.getUint16(p + 6, true);
    const start = p + (long ? 12 : 8);
    const value = () => String.fromCharCode(...file.subarray(start, start + length)).replace(/[\0 ]+$/, '');
    if (element === 0x0002) out.sopClassUid = value();
    if (element === 0x0003) out.sopInstanceUid = value();
    if (element === 0x0010) out.transferSyntaxUid = value();
    p = start + length;
  }
  if (!out.sopClassUid || !out.sopInstanceUid || !out.transferSyntaxUid) throw new Error('File Meta Information lacks (0002,0002), (0002,0003) or (0002,0010)');
  return { ...(out as Part10Meta), datasetOffset: p };
}
