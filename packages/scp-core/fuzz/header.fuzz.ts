/**
 * Jazzer.js target: the worker's dataset header reader, against the contract in oracles.ts. The
 * first byte chooses the transfer syntax and whether the dataset is complete; the rest is the
 * dataset (the seed corpus is every testdata/dicom dataset, prefixed so). See fuzz/README.md.
 */
import { readHeaderChecked } from './oracles.ts';

/** The byte-level parsers readHeader chooses between (compressed pixel data share explicit LE). */
export const HEADER_TRANSFER_SYNTAXES = ['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.1.99'];

export function fuzz(data: Buffer): void {
  if (data.length === 0) return;
  const ts = HEADER_TRANSFER_SYNTAXES[data[0]! % HEADER_TRANSFER_SYNTAXES.length]!;
  readHeaderChecked(data.subarray(1), ts, (data[0]! & 0x80) !== 0);
}
