/**
 * Where the instances a run sends come from: the Part 10 files of a directory (each dataset sent
 * byte for byte in its own transfer syntax) or synthetic instances of a given size with fresh UIDs.
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { readPart10Meta } from '@storescp/scp-core';
import { SyntheticSource, type OutgoingInstance } from '../synthetic/in-memory.ts';
import { EXPLICIT_VR_LITTLE_ENDIAN, framesFor, CT_IMAGE_STORAGE, MULTIFRAME_GRAYSCALE_WORD_SC } from '../synthetic/instances.ts';
import type { ContextProposal } from '../protocol/association.ts';

export interface InstanceSource {
  /** What the associations propose: every (SOP class, transfer syntax) the source will send. */
  readonly proposals: ContextProposal[];
  /** Distinct instances before the source repeats itself (Infinity for synthetic ones). */
  readonly distinct: number;
  next(): OutgoingInstance;
}

export function syntheticSource(datasetBytes: number): InstanceSource {
  const source = new SyntheticSource(datasetBytes);
  const sopClassUid = framesFor(datasetBytes).frames === 1 ? CT_IMAGE_STORAGE : MULTIFRAME_GRAYSCALE_WORD_SC;
  return { proposals: [{ abstractSyntax: sopClassUid, transferSyntax: EXPLICIT_VR_LITTLE_ENDIAN }], distinct: Infinity, next: () => source.next() };
}

/**
 * Every Part 10 file under `dir`, read into memory first so that disk reads never slow the
 * sender (the whole corpus must fit in memory). Files are sent in order, round robin.
 */
export async function fileSource(dir: string): Promise<InstanceSource> {
  const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
  const instances: OutgoingInstance[] = [];
  for (const file of files) {
    const bytes = await readFile(file);
    if (bytes.length < 132 || bytes.toString('latin1', 128, 132) !== 'DICM') continue; // manifest.tsv and other non-DICOM files
    const meta = readPart10Meta(bytes);
    const dataset = bytes.subarray(meta.datasetOffset);
    instances.push({ sopClassUid: meta.sopClassUid, sopInstanceUid: meta.sopInstanceUid, transferSyntaxUid: meta.transferSyntaxUid, parts: [dataset], length: dataset.length });
  }
  if (instances.length === 0) throw new Error(`no DICOM Part 10 files under ${dir}`);
  const proposals = new Map<string, ContextProposal>();
  for (const i of instances) proposals.set(`${i.sopClassUid}|${i.transferSyntaxUid}`, { abstractSyntax: i.sopClassUid, transferSyntax: i.transferSyntaxUid });
  if (proposals.size > 127) throw new Error(`${proposals.size} SOP class / transfer syntax pairs: an association proposes at most 127`);
  let at = 0;
  return { proposals: [...proposals.values()], distinct: instances.length, next: () => instances[at++ % instances.length]! };
}
