/** The transfer syntaxes whose encoding the SCP itself reads; every other one it accepts is encapsulated (compressed pixel data). */
export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
} as const;

/** Pixel Data is a plain value here; on every other transfer syntax it is a sequence of fragments. */
export const NATIVE_TRANSFER_SYNTAXES: ReadonlySet<string> = new Set(Object.values(TransferSyntax));
