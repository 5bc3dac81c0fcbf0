/**
 * Encoder for data elements in Explicit VR Little Endian: enough for the synthetic instances
 * (strings, US/UL, AT and OB values). Plain Uint8Array/DataView, so it also runs in k6.
 */
import { concatBytes as concat } from '@storescp/scp-core';

export { concat };

export type StringVr = 'AE' | 'CS' | 'DA' | 'DS' | 'IS' | 'LO' | 'PN' | 'SH' | 'TM' | 'UI';
export type Element =
  | { tag: number; vr: StringVr; value: string }
  | { tag: number; vr: 'US' | 'UL'; value: number }
  | { tag: number; vr: 'AT'; value: number }
  | { tag: number; vr: 'OB'; value: Uint8Array };

/** (gggg,eeee) as one number, so elements sort in the ascending order PS3.5 7.1 requires. */
export const tag = (group: number, element: number): number => group * 0x10000 + element;

// VRs whose header has 2 reserved bytes and a 32-bit length (PS3.5 7.1.2).
const LONG_VRS = new Set(['OB', 'OW', 'OD', 'OF', 'OL', 'OV', 'SQ', 'UC', 'UR', 'UT', 'UN']);

function valueBytes(e: Element): Uint8Array {
  switch (e.vr) {
    case 'US':
      return new Uint8Array([e.value & 0xff, e.value >> 8]);
    case 'UL': {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, e.value, true);
      return b;
    }
    case 'AT': {
      const b = new Uint8Array(4);
      const v = new DataView(b.buffer);
      v.setUint16(0, Math.floor(e.value / 0x10000), true);
      v.setUint16(2, e.value & 0xffff, true);
      return b;
    }
    case 'OB':
      return e.value.length % 2 ? concat([e.value, new Uint8Array(1)]) : e.value;
    default: {
      // UIDs are padded with NUL, other strings with a space, to an even length.
      const s = e.value.length % 2 ? e.value + (e.vr === 'UI' ? '\0' : ' ') : e.value;
      const b = new Uint8Array(s.length);
      for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0x7f;
      return b;
    }
  }
}

/** Header of one element: 8 bytes for short VRs, 12 for long ones. */
export function elementHeader(t: number, vr: string, length: number): Uint8Array {
  const long = LONG_VRS.has(vr);
  const h = new Uint8Array(long ? 12 : 8);
  const v = new DataView(h.buffer);
  v.setUint16(0, Math.floor(t / 0x10000), true);
  v.setUint16(2, t & 0xffff, true);
  h[4] = vr.charCodeAt(0);
  h[5] = vr.charCodeAt(1);
  if (long) v.setUint32(8, length, true);
  else {
    if (length > 0xffff) throw new Error(`value of (${t.toString(16)}) is too long for VR ${vr}`);
    v.setUint16(6, length, true);
  }
  return h;
}

/** Encodes the elements in tag order. */
export function encodeElements(elements: Element[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of [...elements].sort((a, b) => a.tag - b.tag)) {
    const value = valueBytes(e);
    parts.push(elementHeader(e.tag, e.vr, value.length), value);
  }
  return concat(parts);
}

