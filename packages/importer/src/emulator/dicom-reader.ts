/**
 * Reads what HealthImaging needs from a Part 10 object: the meta header's transfer syntax and the
 * instance's UIDs. dicom-parser throws strings or objects rather than Errors, and on some garbage it
 * returns a data set without the elements, so the result is checked, never trusted.
 */
import dicomParser, { type DataSet } from 'dicom-parser';
import { inflateRawSync } from 'node:zlib';

export interface DicomInstance {
  transferSyntaxUID: string;
  sopClassUID: string;
  sopInstanceUID: string;
  studyInstanceUID: string;
  seriesInstanceUID: string;
}

export type ReadResult = { ok: true; instance: DicomInstance } | { ok: false; message: string };

const UID = /^[0-9]+(\.[0-9]+)*$/;

const REQUIRED: ReadonlyArray<[keyof DicomInstance, string, string]> = [
  ['transferSyntaxUID', 'x00020010', 'TransferSyntaxUID'],
  ['sopClassUID', 'x00080016', 'SOPClassUID'],
  ['sopInstanceUID', 'x00080018', 'SOPInstanceUID'],
  ['studyInstanceUID', 'x0020000d', 'StudyInstanceUID'],
  ['seriesInstanceUID', 'x0020000e', 'SeriesInstanceUID'],
];

/**
 * HealthImaging's "DICOM element constraints" (developer guide): longer values fail the import of
 * the file. These are the patient and study elements that page lists with a length limit.
 */
const LENGTH_LIMITS: ReadonlyArray<[string, string, number]> = [
  ['x00100010', 'PatientName', 256],
  ['x00100020', 'PatientID', 256],
  ['x00100030', 'PatientBirthDate', 18],
  ['x00100040', 'PatientSex', 16],
  ['x00200010', 'StudyID', 16],
  ['x00081030', 'StudyDescription', 64],
  ['x00080050', 'AccessionNumber', 256],
  ['x00080020', 'StudyDate', 18],
  ['x00080030', 'StudyTime', 28],
];

/** Deflated transfer syntax: dicom-parser hands us the bytes and the position where the deflate stream starts. */
function inflater(bytes: Uint8Array, position: number): Uint8Array {
  const inflated = inflateRawSync(bytes.subarray(position));
  const out = new Uint8Array(position + inflated.length);
  out.set(bytes.subarray(0, position));
  out.set(inflated, position);
  return out;
}

/**
 * @param truncated the bytes are only the start of the object (large objects are read by range):
 *   a parse that overruns them still yields the header elements read so far.
 */
export function readDicomInstance(bytes: Uint8Array, truncated: boolean): ReadResult {
  let dataSet: DataSet;
  try {
    // Options the bundled typings omit (inflater) are passed through unchanged.
    dataSet = dicomParser.parseDicom(bytes, { untilTag: 'x7fe00010', inflater } as Parameters<typeof dicomParser.parseDicom>[1]);
  } catch (thrown) {
    const partial = (thrown as { dataSet?: DataSet } | undefined)?.dataSet;
    if (!truncated || !partial) return { ok: false, message: `Not a valid DICOM P10 file: ${describe(thrown)}` };
    dataSet = partial;
  }
  const instance: Partial<DicomInstance> = {};
  for (const [field, tag, name] of REQUIRED) {
    const value = dataSet.string(tag)?.replace(/\0/g, '').trim();
    if (!value) return { ok: false, message: `DICOM attribute ${name} does not exist` };
    if (!UID.test(value) || value.length > 64) return { ok: false, message: `DICOM attribute ${name} is not a valid UID: ${value}` };
    instance[field] = value;
  }
  for (const [tag, name, max] of LENGTH_LIMITS) {
    const length = dataSet.string(tag)?.length ?? 0;
    if (length > max) return { ok: false, message: `DICOM attribute ${name} is longer than ${max} characters (${length})` };
  }
  return { ok: true, instance: instance as DicomInstance };
}

function describe(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === 'string') return thrown;
  const exception = (thrown as { exception?: unknown } | undefined)?.exception;
  return typeof exception === 'string' ? exception : 'unreadable data set';
}
