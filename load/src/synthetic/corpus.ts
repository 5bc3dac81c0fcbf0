/**
 * Writes a synthetic corpus to disk in the layout of `shared/testdata/make-large.sh`:
 *   ct/study-<k>/CT_<k>_<i>.dcm, mf/MF_<MB>MB.dcm and manifest.tsv
 * (file, SOP Instance UID, Study UID, bytes). The multi-frame file is streamed a few frames at a
 * time, so a 4 GB file is written with flat memory.
 */
import { mkdir, open, writeFile } from 'node:fs/promises';
import { randomFillSync } from 'node:crypto';
import path from 'node:path';
import { concat } from './elements.ts';
import { EXPLICIT_VR_LITTLE_ENDIAN, FRAME_BYTES, ctInstance, gradientFrame, multiFrameInstance, newStudy, type SyntheticInstance } from './instances.ts';
import { part10Header } from './part10.ts';

export interface CorpusOptions {
  /** CT instances (0.5 MB each). */
  ct: number;
  /** Studies the CT instances are spread over, one series each. */
  studies: number;
  /** Size of the one multi-frame instance in MB (10^6 bytes of pixel data, whole frames); 0 = none. */
  multiFrameMb: number;
  onProgress?: (written: number, total: number) => void;
}

export interface ManifestEntry {
  /** Relative to the corpus directory. */
  file: string;
  sopInstanceUid: string;
  studyUid: string;
  bytes: number;
}

// Frames per write: 4 MB writes keep syscalls few and memory flat.
const FRAMES_PER_WRITE = 8;

export async function writeCorpus(outDir: string, opts: CorpusOptions): Promise<ManifestEntry[]> {
  const entries: ManifestEntry[] = [];
  const studies = Array.from({ length: Math.max(1, opts.studies) }, (_, k) => newStudy(k + 1));
  const total = opts.ct + (opts.multiFrameMb > 0 ? 1 : 0);
  for (const st of studies.slice(0, Math.min(studies.length, opts.ct))) await mkdir(path.join(outDir, 'ct', `study-${st.number}`), { recursive: true });
  for (let i = 1; i <= opts.ct; i++) {
    const study = studies[(i - 1) % studies.length]!;
    const inst = ctInstance(study, i);
    const file = path.join('ct', `study-${study.number}`, `CT_${study.number}_${i}.dcm`);
    const bytes = concat([part10Header(inst.sopClassUid, inst.sopInstanceUid, EXPLICIT_VR_LITTLE_ENDIAN), inst.head, gradientFrame()]);
    await writeFile(path.join(outDir, file), bytes);
    entries.push({ file, sopInstanceUid: inst.sopInstanceUid, studyUid: inst.studyUid, bytes: bytes.length });
    opts.onProgress?.(entries.length, total);
  }
  if (opts.multiFrameMb > 0) {
    const inst = multiFrameInstance(Math.ceil((opts.multiFrameMb * 1e6) / FRAME_BYTES));
    const file = path.join('mf', `MF_${opts.multiFrameMb}MB.dcm`);
    await mkdir(path.join(outDir, 'mf'), { recursive: true });
    entries.push({ file, sopInstanceUid: inst.sopInstanceUid, studyUid: inst.studyUid, bytes: await writeMultiFrame(path.join(outDir, file), inst) });
    opts.onProgress?.(entries.length, total);
  }
  await writeFile(path.join(outDir, 'manifest.tsv'), manifestText(entries));
  return entries;
}

/** Streams the instance's frames; each ends in 16 random bytes so no two frames are equal. */
async function writeMultiFrame(file: string, inst: SyntheticInstance): Promise<number> {
  const fh = await open(file, 'w');
  try {
    const header = concat([part10Header(inst.sopClassUid, inst.sopInstanceUid, EXPLICIT_VR_LITTLE_ENDIAN), inst.head]);
    await fh.write(header);
    const batch = Buffer.alloc(FRAMES_PER_WRITE * FRAME_BYTES);
    for (let f = 0; f < FRAMES_PER_WRITE; f++) batch.set(gradientFrame(), f * FRAME_BYTES);
    for (let done = 0; done < inst.frames; done += FRAMES_PER_WRITE) {
      const n = Math.min(FRAMES_PER_WRITE, inst.frames - done);
      for (let f = 0; f < n; f++) randomFillSync(batch, (f + 1) * FRAME_BYTES - 16, 16);
      await fh.write(batch, 0, n * FRAME_BYTES);
    }
    return header.length + inst.frames * FRAME_BYTES;
  } finally {
    await fh.close();
  }
}

export function manifestText(entries: ManifestEntry[]): string {
  return ['# file\tSOPInstanceUID\tStudyInstanceUID\tbytes', ...entries.map((e) => `${e.file}\t${e.sopInstanceUid}\t${e.studyUid}\t${e.bytes}`)].join('\n') + '\n';
}
