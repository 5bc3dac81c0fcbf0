/**
 * One import job per (batch, study) (DESIGN.md "Batches and import"): HealthImaging imports by
 * prefix, and the study's prefix inside the batch's Timestamp holds exactly that study's instances.
 */
import {
  BATCH_MAX_BYTES,
  BATCH_MAX_FILES,
  parseInstanceKey,
  studyPrefix,
  type BatchManifest,
  type ManifestInstance,
} from '@storescp/workers/layout';
import { s3Uri } from '../s3/objects.ts';
import type { ImportJobSpec } from './types.ts';

export function planImportJobs(manifest: BatchManifest, bucket: string): ImportJobSpec[] {
  // The same SOP Instance sent twice in a batch is one object (the later replaced the earlier).
  const byKey = new Map(manifest.instances.map((i) => [i.key, i]));
  const groups = groupBy([...byKey.values()], (inst) => {
    const p = parseInstanceKey(manifest.prefix, inst.key)!;
    return studyPrefix(manifest.prefix, p.datePath, p.timestamp, p.studyInstanceUid);
  });
  return [...groups].flatMap(([prefixKey, instances]) =>
    withinQuota(instances)
      ? [jobSpec(manifest.batchId, bucket, prefixKey, instances)]
      : splitBySeries(manifest.batchId, bucket, prefixKey, instances),
  );
}

/**
 * The SCP rotates batches before a job could exceed quota, so this is a guard: an oversized study is
 * imported per series (each series is its own prefix), and a single oversized series is refused.
 */
function splitBySeries(batchId: string, bucket: string, prefixKey: string, instances: ManifestInstance[]): ImportJobSpec[] {
  return [...groupBy(instances, (i) => `${prefixKey}${i.seriesInstanceUid}/`)].map(([seriesKey, series]) => {
    if (!withinQuota(series)) {
      throw new Error(`series prefix ${seriesKey} holds ${series.length} files / ${sumBytes(series)} bytes, over one import job's quota of ${BATCH_MAX_FILES} files / ${BATCH_MAX_BYTES} bytes`);
    }
    return jobSpec(batchId, bucket, seriesKey, series);
  });
}

function jobSpec(batchId: string, bucket: string, prefixKey: string, instances: ManifestInstance[]): ImportJobSpec {
  const first = instances[0]!;
  const series = new Set(instances.map((i) => i.seriesInstanceUid));
  return {
    batchId,
    studyInstanceUID: first.studyInstanceUid,
    studyDate: instances.find((i) => i.studyDate !== '')?.studyDate ?? '',
    inputS3Uri: s3Uri(bucket, prefixKey),
    instanceCount: instances.length,
    bytes: sumBytes(instances),
    ...(series.size === 1 ? { seriesInstanceUID: first.seriesInstanceUid } : {}),
    ...(instances.length === 1 ? { sopInstanceUID: first.sopInstanceUid } : {}),
  };
}

const sumBytes = (instances: ManifestInstance[]) => instances.reduce((n, i) => n + i.size, 0);
const withinQuota = (instances: ManifestInstance[]) => instances.length <= BATCH_MAX_FILES && sumBytes(instances) <= BATCH_MAX_BYTES;

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
