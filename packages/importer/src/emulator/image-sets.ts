/**
 * The emulated data store's image sets: one primary image set per study (the emulator's
 * simplification of HealthImaging's grouping). A job that adds or replaces instances of an existing
 * study bumps that image set's version once, as the service does for re-imports.
 */
import { randomBytes } from 'node:crypto';
import type { DicomInstance } from './dicom-reader.ts';

export interface StoredInstance extends DicomInstance {
  inputFile: string;
}

export interface ImageSet {
  imageSetId: string;
  datastoreId: string;
  studyInstanceUID: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  /** By SOP Instance UID: a re-sent instance replaces the earlier one. */
  instances: Map<string, StoredInstance>;
}

export const newId = () => randomBytes(16).toString('hex');

export class ImageSetStore {
  private readonly byKey = new Map<string, ImageSet>();

  /**
   * Applies one job's good instances; returns the image set of each instance, after the job.
   */
  applyJob(datastoreId: string, instances: StoredInstance[], now: Date): Map<StoredInstance, ImageSet> {
    const touched = new Set<ImageSet>();
    const result = new Map<StoredInstance, ImageSet>();
    for (const inst of instances) {
      const key = `${datastoreId}/${inst.studyInstanceUID}`;
      let set = this.byKey.get(key);
      if (!set) {
        set = { imageSetId: newId(), datastoreId, studyInstanceUID: inst.studyInstanceUID, version: 0, createdAt: now, updatedAt: now, instances: new Map() };
        this.byKey.set(key, set);
      }
      set.instances.set(inst.sopInstanceUID, inst);
      touched.add(set);
      result.set(inst, set);
    }
    for (const set of touched) {
      set.version += 1;
      set.updatedAt = now;
    }
    return result;
  }

  list(datastoreId?: string): ImageSet[] {
    return [...this.byKey.values()].filter((s) => datastoreId === undefined || s.datastoreId === datastoreId);
  }
}
