/**
 * One C-STORE, in a worker: read the header, validate, key, frame as Part 10, write durably.
 * Every outcome is a StoreResult; only a bug escapes as an exception.
 */
import { instanceKey } from './batch/layout.ts';
import { concatBytes } from './bytes.ts';
import { Status, type StoreResult, type StoreTask } from './contracts.ts';
import { DatasetAborted, DatasetSource } from './dataset-source.ts';
import { DatasetMalformed, DatasetStructure } from './dataset-structure.ts';
import { InflatedStructure } from './inflated-structure.ts';
import { MAX_HEADER_BYTES, readHeader, type HeaderFields } from './header/read-header.ts';
import { datePathFromDA, isValidUid, utcDatePath } from './header/uids.ts';
import { fileMetaHeader } from './part10/file-meta.ts';
import { TransferSyntax } from './transfer-syntaxes.ts';
import { type Sink, StorageError } from './sinks/sink.ts';

/** How much of the dataset is read before the first try at its header (then ×4, up to MAX_HEADER_BYTES). */
const HEADER_PROBE = 64 * 1024;
/**
 * Real datasets hold hundreds of elements before the Study/Series UIDs; a flood of tiny ones
 * would make every retry re-parse a bigger prefix (seconds and hundreds of MB per C-STORE).
 */
const MAX_HEADER_ELEMENTS = 10_000;

export interface StoreContext {
  sink: Sink;
  prefix: string;
}

export async function storeInstance(task: StoreTask, ctx: StoreContext): Promise<StoreResult & { storageSeconds?: number }> {
  const source = new DatasetSource(task.data, task.port);
  try {
    const head: Uint8Array[] = [];
    const header = await readHeaderFrom(source, head, task.transferSyntaxUid);
    const problem = header.kind === 'ok' ? validate(task, header.fields) : ({ status: Status.CannotUnderstand, comment: 'dataset unreadable', detail: header.reason } as const);
    if (problem) {
      await source.drain();
      return problem;
    }
    const f = (header as { fields: HeaderFields }).fields;
    const datePath = datePathFromDA(f.studyDate) ?? utcDatePath();
    const key = instanceKey({
      prefix: ctx.prefix,
      datePath,
      timestamp: task.batch.timestamp,
      studyInstanceUid: f.studyInstanceUid!,
      seriesInstanceUid: f.seriesInstanceUid!,
      sopInstanceUid: task.affectedSopInstanceUid,
    });
    const meta = fileMetaHeader({
      mediaStorageSopClassUid: task.affectedSopClassUid,
      mediaStorageSopInstanceUid: task.affectedSopInstanceUid,
      transferSyntaxUid: task.transferSyntaxUid,
      sourceAeTitle: task.association.callingAeTitle,
    });
    const structure = task.transferSyntaxUid === TransferSyntax.DeflatedExplicitVRLittleEndian ? new InflatedStructure() : new DatasetStructure(task.transferSyntaxUid);
    const started = performance.now();
    let size: number;
    try {
      ({ size } = await ctx.sink.put(key, body(meta, head, source, structure)));
    } catch (err) {
      if (!(err instanceof DatasetMalformed)) throw err;
      await source.drain();
      return { status: Status.CannotUnderstand, comment: 'dataset malformed', detail: err.message };
    } finally {
      if (structure instanceof InflatedStructure) structure.close();
    }
    return {
      status: Status.Success,
      key,
      datePath,
      studyInstanceUid: f.studyInstanceUid!,
      seriesInstanceUid: f.seriesInstanceUid!,
      sopInstanceUid: task.affectedSopInstanceUid,
      sopClassUid: task.affectedSopClassUid,
      studyDate: datePathFromDA(f.studyDate) ? f.studyDate! : '',
      size,
      storageSeconds: (performance.now() - started) / 1000,
    };
  } catch (err) {
    if (err instanceof DatasetAborted) return { status: Status.ProcessingFailure, comment: 'association aborted', aborted: true };
    if (err instanceof StorageError) return { status: Status.OutOfResources, comment: 'storage write failed', detail: err.message };
    throw err;
  } finally {
    source.close();
  }
}

/**
 * A dataset that came whole is one group, so one write: the meta header and every chunk. The
 * structure check (inflating first, for a deflated dataset) sees each chunk before it is written
 * and ends the body by throwing if the dataset does not add up, so the sink never puts it under
 * its key.
 */
async function* body(meta: Uint8Array, head: Uint8Array[], source: DatasetSource, structure: DatasetStructure | InflatedStructure): AsyncGenerator<readonly Uint8Array[]> {
  for (const chunk of head) await structure.push(chunk);
  yield [meta, ...head];
  for (let group = await source.next(); group !== undefined; group = await source.next()) {
    for (const chunk of group) await structure.push(chunk);
    yield group;
  }
  await structure.end();
}

/**
 * Pulls chunks into `head` until the header can be read, the dataset ends, or a limit is hit.
 * Each try parses only the first `want` bytes (the chunks may hold far more), growing ×4.
 */
async function readHeaderFrom(source: DatasetSource, head: Uint8Array[], ts: string) {
  let have = 0;
  let want = HEADER_PROBE;
  for (;;) {
    let ended = false;
    while (have < want) {
      const group = await source.next();
      if (group === undefined) {
        ended = true;
        break;
      }
      for (const chunk of group) {
        head.push(source.keep(chunk));
        have += chunk.length;
      }
    }
    const whole = ended && have <= want;
    const outcome = readHeader(prefix(head, whole ? have : want), ts, whole);
    if (outcome.kind !== 'need-more') return outcome;
    if (outcome.elements > MAX_HEADER_ELEMENTS) return { kind: 'unreadable', reason: `more than ${MAX_HEADER_ELEMENTS} elements before the Study/Series UIDs` } as const;
    if (whole || want >= MAX_HEADER_BYTES) return { kind: 'unreadable', reason: `no Study/Series UIDs within the first ${Math.min(have, want)} bytes` } as const;
    want = Math.min(want * 4, MAX_HEADER_BYTES);
  }
}

/** The first `length` bytes of `parts` (all of them if fewer), copied only when they span chunks. */
function prefix(parts: readonly Uint8Array[], length: number): Uint8Array {
  const first = parts[0];
  if (!first) return new Uint8Array(0);
  if (first.length >= length) return first.subarray(0, length);
  const taken: Uint8Array[] = [];
  let n = 0;
  for (const part of parts) {
    if (n >= length) break;
    const piece = part.subarray(0, length - n);
    taken.push(piece);
    n += piece.length;
  }
  return concatBytes(taken, n);
}

function validate(task: StoreTask, f: HeaderFields): StoreResult | undefined {
  const cannot = (comment: string): StoreResult => ({ status: Status.CannotUnderstand, comment });
  if (!isValidUid(task.affectedSopInstanceUid)) return cannot('Affected SOP Instance UID malformed');
  if (!isValidUid(task.affectedSopClassUid)) return cannot('Affected SOP Class UID malformed');
  if (!isValidUid(f.sopInstanceUid)) return cannot('SOP Instance UID missing or malformed');
  if (!isValidUid(f.sopClassUid)) return cannot('SOP Class UID missing or malformed');
  if (!isValidUid(f.studyInstanceUid)) return cannot('Study Instance UID missing or malformed');
  if (!isValidUid(f.seriesInstanceUid)) return cannot('Series Instance UID missing or malformed');
  if (f.sopInstanceUid !== task.affectedSopInstanceUid) return { status: Status.DataSetDoesNotMatchSopClass, comment: 'SOP Instance UID differs from the command' };
  if (f.sopClassUid !== task.affectedSopClassUid) return { status: Status.DataSetDoesNotMatchSopClass, comment: 'SOP Class UID differs from the command' };
  return undefined;
}
