/**
 * Jazzer.js target: the PDU reader (fed in pieces) and the DIMSE command decoder, against the
 * contracts in oracles.ts. The first byte of an input chooses how the rest is split into chunks,
 * so the fuzzer explores TCP-like fragmentation as well as the bytes. See fuzz/README.md.
 */
import { decodeCommandChecked, readPdus } from './oracles.ts';

export function fuzz(data: Buffer): void {
  if (data.length === 0) return;
  const stream = data.subarray(1);
  const step = data[0]! + 1;
  const cuts: number[] = [];
  for (let at = step; at < stream.length; at += step) cuts.push(at);
  readPdus(stream, cuts);
  decodeCommandChecked(stream);
}
