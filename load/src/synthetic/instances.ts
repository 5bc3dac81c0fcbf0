/**
 * The two synthetic shapes of `shared/testdata/make-large.sh`: a 512×512 16-bit CT slice and a
 * multi-frame Grayscale Word Secondary Capture of 512×512 16-bit frames. An instance is its
 * dataset head (every element up to and including the Pixel Data header) plus its frames, so
 * callers can stream or re-send the frames without ever assembling the whole dataset.
 */
import { type Element, elementHeader, encodeElements, concat, tag } from './elements.ts';
import { freshUid } from './uid.ts';

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const MULTIFRAME_GRAYSCALE_WORD_SC = '1.2.840.10008.5.1.4.1.1.7.3';
export const COLUMNS = 512;
export const FRAME_BYTES = 512 * COLUMNS * 2;
/** Pixel Data has a 32-bit length, which caps a multi-frame instance at this many full frames. */
export const MAX_FRAMES = Math.floor(0xfffffffe / FRAME_BYTES);

export interface Study {
  studyUid: string;
  seriesUid: string;
  /** 1-based; names the patient and accession like make-large.sh does. */
  number: number;
}

export interface SyntheticInstance {
  sopClassUid: string;
  sopInstanceUid: string;
  studyUid: string;
  /** Dataset bytes before the pixel values, ending with the Pixel Data (7FE0,0010) OW header. */
  head: Uint8Array;
  frames: number;
  frameBytes: number;
  /** Dataset length: head plus frames × frameBytes. */
  length: number;
}

export function newStudy(number: number): Study {
  return { studyUid: freshUid(), seriesUid: freshUid(), number };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');
function today(): { date: string; time: string } {
  const d = new Date();
  return { date: `${d.getFullYear()}${pad(d.getMonth() + 1)}${pad(d.getDate())}`, time: `${pad(d.getHours())}${pad(d.getMinutes())}${pad(d.getSeconds())}` };
}

const s = (g: number, e: number, vr: Extract<Element, { value: string }>['vr'], value: string): Element => ({ tag: tag(g, e), vr, value });
const us = (g: number, e: number, value: number): Element => ({ tag: tag(g, e), vr: 'US', value });

/** Attributes both shapes share: patient, study, series and 16-bit MONOCHROME2 pixel description. */
function common(study: Study, sopClassUid: string, sopInstanceUid: string, rows: number): Element[] {
  const { date, time } = today();
  return [
    s(0x0008, 0x0005, 'CS', 'ISO_IR 100'),
    s(0x0008, 0x0016, 'UI', sopClassUid),
    s(0x0008, 0x0018, 'UI', sopInstanceUid),
    s(0x0008, 0x0020, 'DA', date),
    s(0x0008, 0x0030, 'TM', time),
    s(0x0008, 0x0050, 'SH', `ACC${study.number}`),
    s(0x0008, 0x0070, 'LO', 'storescp-load synthetic'),
    s(0x0008, 0x0090, 'PN', ''),
    s(0x0010, 0x0010, 'PN', `SYNTHETIC^STUDY${study.number}`),
    s(0x0010, 0x0020, 'LO', `SYN${pad(study.number, 5)}`),
    s(0x0010, 0x0030, 'DA', ''),
    s(0x0010, 0x0040, 'CS', 'O'),
    s(0x0020, 0x000d, 'UI', study.studyUid),
    s(0x0020, 0x000e, 'UI', study.seriesUid),
    s(0x0020, 0x0010, 'SH', String(study.number)),
    s(0x0020, 0x0011, 'IS', '1'),
    us(0x0028, 0x0002, 1),
    s(0x0028, 0x0004, 'CS', 'MONOCHROME2'),
    us(0x0028, 0x0010, rows),
    us(0x0028, 0x0011, COLUMNS),
    us(0x0028, 0x0100, 16),
    us(0x0028, 0x0101, 16),
    us(0x0028, 0x0102, 15),
    us(0x0028, 0x0103, 0),
    s(0x0028, 0x1053, 'DS', '1'),
  ];
}

function instance(sopClassUid: string, sopInstanceUid: string, studyUid: string, elements: Element[], frames: number, frameBytes: number): SyntheticInstance {
  const pixelLength = frames * frameBytes;
  const head = concat([encodeElements(elements), elementHeader(tag(0x7fe0, 0x0010), 'OW', pixelLength)]);
  return { sopClassUid, sopInstanceUid, studyUid, head, frames, frameBytes, length: head.length + pixelLength };
}

/** One CT slice, `rows` × 512 (512 rows ≈ 0.5 MB, fewer for smaller instances). */
export function ctInstance(study: Study, instanceNumber: number, rows = 512): SyntheticInstance {
  const sop = freshUid();
  const z = String(instanceNumber * 5);
  const elements = [
    ...common(study, CT_IMAGE_STORAGE, sop, rows),
    s(0x0008, 0x0008, 'CS', 'ORIGINAL\\PRIMARY\\AXIAL'),
    s(0x0008, 0x0060, 'CS', 'CT'),
    s(0x0018, 0x0050, 'DS', '5'),
    s(0x0018, 0x0060, 'DS', '120'),
    s(0x0020, 0x0013, 'IS', String(instanceNumber)),
    s(0x0020, 0x0032, 'DS', `-250\\-250\\${z}`),
    s(0x0020, 0x0037, 'DS', '1\\0\\0\\0\\1\\0'),
    s(0x0020, 0x0052, 'UI', `${study.studyUid}.1`),
    s(0x0020, 0x1041, 'DS', z),
    s(0x0028, 0x0030, 'DS', '0.9765625\\0.9765625'),
    s(0x0028, 0x1050, 'DS', '40'),
    s(0x0028, 0x1051, 'DS', '400'),
    s(0x0028, 0x1052, 'DS', '-1024'),
  ];
  return instance(CT_IMAGE_STORAGE, sop, study.studyUid, elements, 1, rows * COLUMNS * 2);
}

/** One multi-frame Grayscale Word SC instance of `frames` 512×512 frames, in a study of its own. */
export function multiFrameInstance(frames: number, study: Study = newStudy(1)): SyntheticInstance {
  if (frames < 1 || frames > MAX_FRAMES) throw new RangeError(`a multi-frame instance holds 1 to ${MAX_FRAMES} frames`);
  const sop = freshUid();
  const elements = [
    ...common(study, MULTIFRAME_GRAYSCALE_WORD_SC, sop, 512),
    s(0x0008, 0x0008, 'CS', 'DERIVED\\SECONDARY'),
    s(0x0008, 0x0060, 'CS', 'OT'),
    s(0x0008, 0x0064, 'CS', 'WSD'),
    s(0x0018, 0x2001, 'IS', pageNumbers(frames)),
    s(0x0020, 0x0013, 'IS', '1'),
    s(0x0020, 0x0020, 'CS', ''),
    s(0x0028, 0x0008, 'IS', String(frames)),
    { tag: tag(0x0028, 0x0009), vr: 'AT', value: tag(0x0018, 0x2001) } satisfies Element,
    s(0x0028, 0x1050, 'DS', '512'),
    s(0x0028, 0x1051, 'DS', '1024'),
    s(0x0028, 0x1052, 'DS', '0'),
    s(0x0028, 0x1054, 'LO', 'US'),
  ];
  return instance(MULTIFRAME_GRAYSCALE_WORD_SC, sop, study.studyUid, elements, frames, FRAME_BYTES);
}

// Page Number Vector "1\2\…\N": the attribute the Frame Increment Pointer names.
function pageNumbers(frames: number): string {
  return Array.from({ length: frames }, (_, i) => i + 1).join('\\');
}

let gradient: Uint8Array | undefined;
/** A 512×512 frame whose rows are a 0…1023 gradient (compressible, like a phantom). Shared: do not modify. */
export function gradientFrame(): Uint8Array {
  if (gradient) return gradient;
  gradient = new Uint8Array(FRAME_BYTES);
  const v = new DataView(gradient.buffer);
  for (let x = 0; x < COLUMNS; x++) v.setUint16(x * 2, (x * 2) & 0x3ff, true);
  for (let y = 1; y < 512; y++) gradient.copyWithin(y * COLUMNS * 2, 0, COLUMNS * 2);
  return gradient;
}

/** The frames needed for `datasetBytes` (about; rounded to whole rows or frames). */
export function framesFor(datasetBytes: number): { frames: number; rows: number } {
  if (datasetBytes <= FRAME_BYTES) return { frames: 1, rows: Math.max(1, Math.round(datasetBytes / (COLUMNS * 2))) };
  return { frames: Math.min(MAX_FRAMES, Math.ceil(datasetBytes / FRAME_BYTES)), rows: 512 };
}
