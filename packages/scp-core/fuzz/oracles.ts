/**
 * The contracts every fuzz input is checked against, shared by the fast-check properties
 * (tests/fuzz-*.test.ts) and the Jazzer.js targets (fuzz/*.fuzz.ts). Each function runs one input
 * and throws `FuzzFinding` when the code under test broke its contract: threw anything but its own
 * protocol error, overran a limit, or took too long. The protocol errors themselves are expected
 * answers (they become A-ABORT or a failure status), so they are returned, not thrown.
 */
import { readHeader, type HeaderOutcome } from '../../workers/src/header/read-header.ts';
import { DimseError, decodeCommand, type Command } from '../src/dimse/command.ts';
import { PduError, PduReader, type Pdu } from '../src/pdu/index.ts';

export class FuzzFinding extends Error {
  override name = 'FuzzFinding';
}

/** Small limits, so that random lengths cross them often. */
export const READER_LIMITS = { maxControlPduLength: 4096, maxPDataLength: 16 * 1024 } as const;

export interface ReaderRun {
  /** What the reader delivered, one line per event; PDV data is joined per PDV so splits compare equal. */
  events: string[];
  pdus: Pdu[];
  error?: PduError;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/**
 * Feeds `stream` to a PduReader in pieces ending at `cuts` (offsets, any order), as a socket would.
 * The reader must deliver events or throw PduError, and never hand on more than its limits allow.
 */
export function readPdus(stream: Uint8Array, cuts: number[] = []): ReaderRun {
  const run: ReaderRun = { events: [], pdus: [] };
  let pdv: Uint8Array[] = [];
  const reader = new PduReader(
    {
      onPdu(pdu) {
        run.pdus.push(pdu);
        run.events.push(`pdu ${JSON.stringify(pdu)}`);
      },
      onPDataStart(length) {
        if (length > READER_LIMITS.maxPDataLength) throw new FuzzFinding(`P-DATA-TF of ${length} bytes passed a ${READER_LIMITS.maxPDataLength} limit`);
        run.events.push(`pdata ${length}`);
      },
      onPdvData(_pc, _isCommand, data) {
        // A slice of the pushed chunk is only valid during the call: keep a copy, as the association does.
        pdv.push(data.slice());
      },
      onPdvEnd(pc, isCommand, isLast) {
        const data = Buffer.concat(pdv);
        if (data.length > READER_LIMITS.maxPDataLength) throw new FuzzFinding(`PDV of ${data.length} bytes passed the P-DATA limit`);
        run.events.push(`pdv ${pc} ${isCommand} ${isLast} ${hex(data)}`);
        pdv = [];
      },
    },
    READER_LIMITS.maxControlPduLength,
    READER_LIMITS.maxPDataLength,
  );
  const ends = [...new Set(cuts.filter((c) => c > 0 && c < stream.length))].sort((a, b) => a - b);
  ends.push(stream.length);
  let start = 0;
  try {
    for (const end of ends) {
      reader.push(stream.subarray(start, end));
      start = end;
    }
  } catch (err) {
    if (err instanceof FuzzFinding) throw err;
    if (!(err instanceof PduError)) throw new FuzzFinding(`PduReader threw ${describe(err)} instead of a PduError`, { cause: err });
    run.error = err;
  }
  return run;
}

/** A command set decodes to a Command or is refused with DimseError (the association then aborts). */
export function decodeCommandChecked(bytes: Uint8Array): Command | DimseError {
  try {
    return decodeCommand(bytes);
  } catch (err) {
    if (err instanceof DimseError) return err;
    throw new FuzzFinding(`decodeCommand threw ${describe(err)} instead of a DimseError`, { cause: err });
  }
}

/** Generous for the CI machine: the corpus datasets read in well under 50 ms. */
export const HEADER_TIME_LIMIT_MS = 1000;

/** readHeader answers with one of its three outcomes, never throws, and finishes quickly. */
export function readHeaderChecked(prefix: Uint8Array, transferSyntaxUid: string, complete: boolean): HeaderOutcome {
  const started = performance.now();
  let outcome: HeaderOutcome;
  try {
    outcome = readHeader(prefix, transferSyntaxUid, complete);
  } catch (err) {
    throw new FuzzFinding(`readHeader threw ${describe(err)} on ${prefix.length} bytes (${transferSyntaxUid}, complete ${complete})`, { cause: err });
  }
  const elapsed = performance.now() - started;
  if (elapsed > HEADER_TIME_LIMIT_MS) throw new FuzzFinding(`readHeader took ${elapsed.toFixed(0)} ms on ${prefix.length} bytes`);
  if (!['ok', 'need-more', 'unreadable'].includes(outcome.kind)) throw new FuzzFinding(`readHeader answered ${JSON.stringify(outcome)}`);
  if (outcome.kind === 'need-more' && complete) throw new FuzzFinding('readHeader asked for more of a complete dataset');
  return outcome;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : `a non-Error (${typeof err}: ${String(err).slice(0, 80)})`;
}
