/**
 * Reads the few attributes the store path needs from the start of a dataset with dicom-parser,
 * without ever touching Pixel Data. All of them sit in groups 0008 and 0020, near the start, so
 * parsing stops after the last, (0020,000E) (dicom-parser's `untilTag`: on real CT and MR
 * headers 18-45 µs a read instead of 25-84 µs up to Pixel Data). It is given a prefix of the
 * dataset, as it cannot read a stream: when the prefix ends first, parsing stops there (by
 * throwing) and the elements read before that are kept.
 */
import { inflateRawSync, constants as zlib } from 'node:zlib';
import dicomParser, { type ByteArrayParser, type DataSet } from 'dicom-parser';
import { TransferSyntax } from '../transfer-syntaxes.ts';

// DataSet is a class at run time, though the bundled typings declare only its interface.
const DataSetClass = (dicomParser as unknown as { DataSet: new (p: ByteArrayParser, b: Uint8Array, e: object) => DataSet }).DataSet;

export interface HeaderFields {
  sopClassUid?: string;
  sopInstanceUid?: string;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  studyDate?: string;
}

export type HeaderOutcome =
  | { kind: 'ok'; fields: HeaderFields }
  /** The prefix ended before group 0020 was passed: read more and try again (`elements`: how many were read). */
  | { kind: 'need-more'; elements: number }
  | { kind: 'unreadable'; reason: string };

const TAGS = {
  sopClassUid: 'x00080016',
  sopInstanceUid: 'x00080018',
  studyDate: 'x00080020',
  studyInstanceUid: 'x0020000d',
  seriesInstanceUid: 'x0020000e',
} as const;
/** The last of TAGS in a dataset's order: reading stops after it. */
const LAST_NEEDED = parseInt(TAGS.seriesInstanceUid.slice(1), 16);

/**
 * The most of a dataset's start a store holds to find its Study/Series UIDs, and the most a
 * deflated prefix may inflate to (deflate packs up to ~1,000:1). What precedes (0020,000D) is
 * groups 0008-0019 and their private groups: kilobytes in real datasets. Every running store
 * (worker threads × 8) may hold this much: 128 MiB on a 2-core task.
 */
export const MAX_HEADER_BYTES = 8 * 1024 * 1024;

/**
 * @param prefix the first bytes of the dataset (the whole dataset when `complete`)
 */
export function readHeader(prefix: Uint8Array, transferSyntaxUid: string, complete: boolean): HeaderOutcome {
  let bytes = prefix;
  if (transferSyntaxUid === TransferSyntax.DeflatedExplicitVRLittleEndian) {
    try {
      const inflated = inflatePrefix(prefix);
      bytes = inflated.bytes;
      complete &&= inflated.whole;
    } catch (err) {
      return { kind: 'unreadable', reason: `deflated dataset does not inflate: ${(err as Error).message}` };
    }
  }
  const parser = transferSyntaxUid === TransferSyntax.ExplicitVRBigEndian ? dicomParser.bigEndianByteArrayParser : dicomParser.littleEndianByteArrayParser;
  const dataSet = new DataSetClass(parser, bytes, {});
  try {
    // Inside the try: ByteStream throws on an empty array (a zero-length dataset, or a prefix
    // that inflates to nothing).
    const stream = new dicomParser.ByteStream(parser, bytes, 0);
    const options = { untilTag: TAGS.seriesInstanceUid };
    if (transferSyntaxUid === TransferSyntax.ImplicitVRLittleEndian) dicomParser.parseDicomDataSetImplicit(dataSet, stream, bytes.length, options);
    else dicomParser.parseDicomDataSetExplicit(dataSet, stream, bytes.length, options);
  } catch {
    // dicom-parser throws strings and other non-Errors at the end of the prefix or on garbage;
    // what it read before that stays in dataSet.elements and is validated below.
  }

  const elements = dataSet.elements as Record<string, { dataOffset: number; length: number } | undefined>;
  const fields: HeaderFields = {};
  for (const [name, tag] of Object.entries(TAGS) as [keyof HeaderFields, string][]) {
    const el = elements[tag];
    if (!el) continue;
    if (el.dataOffset + el.length > bytes.length || el.length > 1024) {
      if (!complete) return { kind: 'need-more', elements: Object.keys(elements).length };
      return { kind: 'unreadable', reason: `element ${tag} runs past the end of the dataset` };
    }
    fields[name] = asString(bytes, el.dataOffset, el.length);
  }
  // A loop, not Math.max(...tags): a prefix of a few MB can hold hundreds of thousands of
  // elements, more arguments than a call can take (RangeError).
  let lastTag = -1;
  for (const key of Object.keys(elements)) {
    const tag = parseInt(key.slice(1), 16);
    if (tag > lastTag) lastTag = tag;
  }
  // Not only when parsing stopped early: a prefix can end exactly where an element does. Tags
  // ascend, so once (0020,000E) is read nothing needed can follow.
  if (!complete && lastTag < LAST_NEEDED) return { kind: 'need-more', elements: Object.keys(elements).length };
  if (Object.keys(elements).length === 0) return { kind: 'unreadable', reason: 'no DICOM elements could be read' };
  return { kind: 'ok', fields };
}

/**
 * Inflates as much of a deflated prefix as fits in MAX_HEADER_BYTES: a megabyte sent could otherwise
 * take a gigabyte here. Past the limit, a quarter of the input is tried, and so on; the UIDs sit
 * near the start, and a prefix whose elements before them inflate past the limit ends as "no
 * Study/Series UIDs" in the store's read loop.
 */
function inflatePrefix(prefix: Uint8Array): { bytes: Uint8Array; whole: boolean } {
  for (let input = prefix; ; input = input.subarray(0, input.length >>> 2)) {
    try {
      // SYNC_FLUSH lets a truncated deflate stream yield what it has.
      return { bytes: inflateRawSync(input, { finishFlush: zlib.Z_SYNC_FLUSH, maxOutputLength: MAX_HEADER_BYTES }), whole: input === prefix };
    } catch (err) {
      // 4 KiB cannot inflate past the limit; the check only guards the loop.
      if ((err as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE' || input.length < 4096) throw err;
    }
  }
}

function asString(b: Uint8Array, offset: number, length: number): string {
  let s = '';
  for (let i = offset; i < offset + length; i++) s += String.fromCharCode(b[i]!);
  return s.replace(/[\0 ]+$/, '').replace(/^ +/, '');
}
