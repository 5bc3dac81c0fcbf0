/** The Part 10 file header: 128-byte preamble, "DICM" and the File Meta Information (group 0002). */
import { concat, encodeElements, tag } from './elements.ts';

export const IMPLEMENTATION_CLASS_UID = '1.2.826.0.1.3680043.10.1512.2.1';
export const IMPLEMENTATION_VERSION = 'STORESCP_LOAD';

export function part10Header(sopClassUid: string, sopInstanceUid: string, transferSyntaxUid: string): Uint8Array {
  const meta = encodeElements([
    { tag: tag(0x0002, 0x0001), vr: 'OB', value: new Uint8Array([0, 1]) },
    { tag: tag(0x0002, 0x0002), vr: 'UI', value: sopClassUid },
    { tag: tag(0x0002, 0x0003), vr: 'UI', value: sopInstanceUid },
    { tag: tag(0x0002, 0x0010), vr: 'UI', value: transferSyntaxUid },
    { tag: tag(0x0002, 0x0012), vr: 'UI', value: IMPLEMENTATION_CLASS_UID },
    { tag: tag(0x0002, 0x0013), vr: 'SH', value: IMPLEMENTATION_VERSION },
  ]);
  const groupLength = encodeElements([{ tag: tag(0x0002, 0x0000), vr: 'UL', value: meta.length }]);
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128); // "DICM"
  return concat([preamble, groupLength, meta]);
}
