/** UIDs the SCP negotiates on: Verification, the Storage SOP classes, and the transfer syntaxes HealthImaging imports. */

import { TransferSyntax } from '@storescp/workers/transfer-syntaxes';

export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

/**
 * Every Storage SOP class of the standard lives under this arc (PS3.4 Annex B), except the
 * few listed below; accepting the arc keeps new classes working without a code change.
 */
const STORAGE_ARC = '1.2.840.10008.5.1.4.1.1.';
const STORAGE_OUTSIDE_ARC = new Set([
  '1.2.840.10008.5.1.4.34.7', // RT Beams Delivery Instruction Storage
  '1.2.840.10008.5.1.4.34.10', // RT Brachy Application Setup Delivery Instruction Storage
  '1.2.840.10008.5.1.4.38.1', // Hanging Protocol Storage
  '1.2.840.10008.5.1.4.39.1', // Color Palette Storage
  '1.2.840.10008.5.1.4.43.1', // Generic Implant Template Storage
  '1.2.840.10008.5.1.4.44.1', // Implant Assembly Template Storage
  '1.2.840.10008.5.1.4.45.1', // Implant Template Group Storage
]);

export function isStorageSopClass(uid: string): boolean {
  return (uid.startsWith(STORAGE_ARC) && uid.length > STORAGE_ARC.length) || STORAGE_OUTSIDE_ARC.has(uid);
}

export { TransferSyntax };

/** Transfer syntaxes AWS HealthImaging can import; a context offering none of them is rejected. */
export const IMPORTABLE_TRANSFER_SYNTAXES: ReadonlySet<string> = new Set([
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.DeflatedExplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian,
  '1.2.840.10008.1.2.4.50', // JPEG Baseline (Process 1)
  '1.2.840.10008.1.2.4.51', // JPEG Extended (Process 2 & 4)
  '1.2.840.10008.1.2.4.57', // JPEG Lossless, Non-Hierarchical (Process 14)
  '1.2.840.10008.1.2.4.70', // JPEG Lossless SV1
  '1.2.840.10008.1.2.4.80', // JPEG-LS Lossless
  '1.2.840.10008.1.2.4.81', // JPEG-LS Near-Lossless
  '1.2.840.10008.1.2.4.90', // JPEG 2000 Lossless
  '1.2.840.10008.1.2.4.91', // JPEG 2000
  '1.2.840.10008.1.2.4.201', // HTJ2K Lossless
  '1.2.840.10008.1.2.4.202', // HTJ2K Lossless RPCL
  '1.2.840.10008.1.2.4.203', // HTJ2K
  '1.2.840.10008.1.2.5', // RLE Lossless
  '1.2.840.10008.1.2.4.100', // MPEG2 MP@ML
  '1.2.840.10008.1.2.4.101', // MPEG2 MP@HL
  '1.2.840.10008.1.2.4.102', // MPEG-4 AVC/H.264 HP@L4.1
  '1.2.840.10008.1.2.4.103', // MPEG-4 AVC/H.264 BD-compatible HP@L4.1
  '1.2.840.10008.1.2.4.104', // MPEG-4 AVC/H.264 HP@L4.2 for 2D video
  '1.2.840.10008.1.2.4.105', // MPEG-4 AVC/H.264 HP@L4.2 for 3D video
  '1.2.840.10008.1.2.4.106', // MPEG-4 AVC/H.264 Stereo HP@L4.2
  '1.2.840.10008.1.2.4.107', // HEVC/H.265 Main Profile
  '1.2.840.10008.1.2.4.108', // HEVC/H.265 Main 10 Profile
]);

