/**
 * The sweeper closes the batches a dead task left open (DESIGN.md promise 2): an open marker old
 * enough, with no manifest and no recent object under its data prefixes, is closed by listing those
 * prefixes and writing the manifest the SCP would have written. That write starts the import like
 * any other manifest. Markers of batches already closed are only deleted. Every step is idempotent:
 * a second run, or two runs at once, produce the same manifest and one execution.
 */
import {
  MANIFEST_DIR,
  OPEN_MARKER_DIR,
  manifestKey,
  parseInstanceKey,
  type BatchManifest,
  type ManifestInstance,
  type OpenMarker,
} from '@storescp/workers/layout';
import { IMPORTER_METRICS } from '../metrics-catalog.ts';
import { emitMetric } from '../metrics/emf.ts';
import { deleteObject, getObjectText, listObjects, putJson, type ListedObject } from '../s3/objects.ts';
import { errorMessage } from '../log.ts';
import type { PipelineDeps } from './deps.ts';

export interface SweepReport {
  /** Batches closed by this run. */
  swept: string[];
  /** Markers deleted because their batch already had a manifest. */
  cleaned: string[];
  /** Old markers whose data was written recently: the association may still be alive. */
  active: string[];
  /** Markers that could not be read or do not belong to this prefix (logged, left in place). */
  invalid: string[];
}

type SweepDeps = Pick<PipelineDeps, 's3' | 'config' | 'log' | 'metrics'>;

export async function sweepOpenBatches(deps: SweepDeps, now: Date = new Date()): Promise<SweepReport> {
  const { dicomBucket: bucket, dicomPrefix: prefix, sweepAgeSeconds } = deps.config;
  const cutoff = now.getTime() - sweepAgeSeconds * 1000;
  const report: SweepReport = { swept: [], cleaned: [], active: [], invalid: [] };
  const openDir = OPEN_MARKER_DIR(prefix);
  const markers = (await listObjects(deps.s3, bucket, openDir)).filter((o) => o.key.endsWith('.json'));
  const closed = new Set((await listObjects(deps.s3, bucket, MANIFEST_DIR(prefix))).map((o) => o.key));

  for (const marker of markers) {
    const batchId = marker.key.slice(openDir.length, -'.json'.length);
    try {
      if (closed.has(manifestKey(prefix, batchId))) {
        await deleteObject(deps.s3, bucket, marker.key);
        report.cleaned.push(batchId);
        continue;
      }
      if (marker.lastModified.getTime() > cutoff) continue;
      const open = parseMarker(await getObjectText(deps.s3, bucket, marker.key), prefix, batchId);
      const objects = (await Promise.all(open.datePaths.map((d) => listObjects(deps.s3, bucket, `${prefix}${d}/${open.timestamp}/`)))).flat();
      // Judge age by the batch's last write, not its opening: a long association is not a dead one.
      if (objects.some((o) => o.lastModified.getTime() > cutoff)) {
        report.active.push(batchId);
        continue;
      }
      const manifest = manifestFor(open, objects, now, deps);
      await putJson(deps.s3, bucket, manifestKey(prefix, batchId), manifest);
      await deleteObject(deps.s3, bucket, marker.key);
      report.swept.push(batchId);
      emitMetric(deps.metrics, IMPORTER_METRICS.batchesSwept, 1);
      deps.log('warn', 'swept an orphaned batch', { batchId, instances: manifest.instances.length, openedAt: open.openedAt });
    } catch (err) {
      report.invalid.push(batchId);
      deps.log('error', 'could not sweep batch', { batchId, markerKey: marker.key, error: errorMessage(err) });
    }
  }
  return report;
}

function parseMarker(text: string, prefix: string, batchId: string): OpenMarker {
  const m = JSON.parse(text) as Partial<OpenMarker>;
  const ok =
    m.version === 1 &&
    m.batchId === batchId &&
    m.prefix === prefix &&
    Number.isInteger(m.timestamp) &&
    Array.isArray(m.datePaths) &&
    m.datePaths.every((d) => typeof d === 'string' && /^\d{4}\/\d{2}\/\d{2}$/.test(d));
  if (!ok) throw new Error(`open marker does not describe batch ${batchId} under prefix ${JSON.stringify(prefix)}`);
  return m as OpenMarker;
}

function manifestFor(open: OpenMarker, objects: ListedObject[], now: Date, deps: Pick<SweepDeps, 'log'>): BatchManifest {
  const instances: ManifestInstance[] = [];
  for (const o of objects) {
    const parts = parseInstanceKey(open.prefix, o.key);
    if (!parts || parts.timestamp !== open.timestamp) {
      deps.log('warn', 'object under a batch prefix is not an instance key; left out of the manifest', { key: o.key });
      continue;
    }
    instances.push({
      key: o.key,
      sopInstanceUid: parts.sopInstanceUid,
      seriesInstanceUid: parts.seriesInstanceUid,
      studyInstanceUid: parts.studyInstanceUid,
      // Not in the key; the import does not need them and reading every object to find them would.
      sopClassUid: '',
      studyDate: '',
      size: o.size,
    });
  }
  return {
    version: 1,
    batchId: open.batchId,
    timestamp: open.timestamp,
    prefix: open.prefix,
    datePaths: open.datePaths,
    openedAt: open.openedAt,
    closedAt: now.toISOString(),
    closedBy: 'sweeper',
    reason: 'swept',
    callingAeTitle: open.callingAeTitle,
    calledAeTitle: open.calledAeTitle,
    peerAddress: open.peerAddress,
    instances,
  };
}
