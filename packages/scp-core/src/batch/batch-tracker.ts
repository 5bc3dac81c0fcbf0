/**
 * The batches of one association (DESIGN.md "Batches and import"). A batch is what one
 * association stored under one Timestamp; it rotates before an import job's quota, writes its
 * open marker before the first instance under each date path is acknowledged, and writes its
 * manifest when it closes.
 */
import {
  BATCH_MAX_BYTES,
  BATCH_MAX_FILES,
  Status,
  type AssociationInfo,
  type BatchManifest,
  type BatchRef,
  type ManifestInstance,
  type OpenMarker,
  parseInstanceKey,
  type StoreResult,
} from '@storescp/workers';
import type { Logger } from '../log.ts';
import type { ScpMetrics } from '../metrics/registry.ts';

export interface BatchWriter {
  writeOpenMarker(marker: OpenMarker): Promise<void>;
  closeBatch(manifest: BatchManifest): Promise<void>;
  deleteInstance(key: string): Promise<void>;
}

/** Objects can be up to 4 GiB; rotating this far below the quota keeps in-flight ones inside it. */
const ROTATION_HEADROOM_BYTES = 2 * 1024 ** 3;

/** Timestamps unique within the process: a batch never shares a key prefix with another. */
export class TimestampClock {
  private last = 0;
  next(): number {
    this.last = Math.max(Date.now(), this.last + 1);
    return this.last;
  }
}

interface Batch {
  ref: BatchRef;
  openedAt: string;
  datePaths: Set<string>;
  /**
   * By SOP Instance UID: an instance sent twice in a batch is listed once, the later copy. Kept
   * compact (a batch may hold 5,000 per association): the other UIDs are in the key, and the few
   * distinct SOP classes and study dates are shared strings.
   */
  instances: Map<string, StoredEntry>;
  shared: Map<string, string>;
  bytes: number;
  assigned: number;
  inFlight: number;
  /** Serializes marker writes so the newest list of date paths is the one left. */
  marker: Promise<void>;
  rotated: boolean;
  closed: boolean;
}

interface StoredEntry {
  key: string;
  size: number;
  sopClassUid: string;
  studyDate: string;
}

export interface BatchTrackerDeps {
  writer: BatchWriter;
  clock: TimestampClock;
  prefix: string;
  /** Distinguishes this process's batches from other tasks' ones with the same Timestamp. */
  instanceId: string;
  log: Logger;
  metrics: ScpMetrics;
}

export class BatchTracker {
  private current: Batch | undefined;
  private readonly batches = new Map<string, Batch>();

  constructor(
    private readonly info: AssociationInfo,
    private readonly deps: BatchTrackerDeps,
  ) {}

  /** The batch the next instance goes to. */
  assign(): BatchRef {
    let b = this.current;
    if (!b || b.assigned >= BATCH_MAX_FILES || b.bytes >= BATCH_MAX_BYTES - ROTATION_HEADROOM_BYTES) {
      if (b) b.rotated = true;
      if (b && b.inFlight === 0) void this.close(b, 'rotation');
      const timestamp = this.deps.clock.next();
      b = {
        ref: { batchId: `${timestamp}-${this.deps.instanceId}`, timestamp },
        openedAt: new Date().toISOString(),
        datePaths: new Set(),
        instances: new Map(),
        shared: new Map(),
        bytes: 0,
        assigned: 0,
        inFlight: 0,
        marker: Promise.resolve(),
        rotated: false,
        closed: false,
      };
      this.batches.set(b.ref.batchId, b);
      this.current = b;
    }
    b.assigned++;
    b.inFlight++;
    return b.ref;
  }

  /**
   * Every store outcome comes here. A success is acknowledged only once the open marker lists
   * its date path; if that marker cannot be written the answer becomes 0xA700.
   */
  async settle(ref: BatchRef, result: StoreResult): Promise<StoreResult> {
    const b = this.batches.get(ref.batchId)!;
    try {
      if (result.status !== Status.Success) return result;
      const earlier = b.instances.get(result.sopInstanceUid);
      const share = (v: string) => b.shared.get(v) ?? (b.shared.set(v, v), v);
      b.instances.set(result.sopInstanceUid, { key: result.key, size: result.size, sopClassUid: share(result.sopClassUid), studyDate: share(result.studyDate) });
      b.bytes += result.size - (earlier?.size ?? 0);
      if (earlier && earlier.key !== result.key) await this.deleteReplaced(b, earlier.key);
      if (!b.datePaths.has(result.datePath)) {
        if (b.datePaths.size === 0) this.deps.metrics.batchesOpened.inc();
        b.datePaths.add(result.datePath);
        const marker = this.openMarker(b);
        b.marker = b.marker.catch(() => {}).then(() => this.deps.writer.writeOpenMarker(marker));
      }
      try {
        await b.marker;
        return result;
      } catch (err) {
        b.datePaths.delete(result.datePath); // the next instance tries the marker again
        this.deps.log.error('batch.marker-failed', { batchId: b.ref.batchId, error: String((err as Error)?.message ?? err) });
        return { status: Status.OutOfResources, comment: 'could not record the batch; retry' };
      }
    } finally {
      b.inFlight--;
      if (b.rotated && b.inFlight === 0) void this.close(b, 'rotation');
    }
  }

  /**
   * The same instance again with another StudyDate, Study or Series: a key of its own, so the
   * earlier copy is deleted, or it would be imported too. Before the answer, so an acknowledged
   * replacement leaves one copy. If it cannot be deleted, the new copy still stands (it is stored);
   * the log says which object is left over.
   */
  private async deleteReplaced(b: Batch, key: string): Promise<void> {
    try {
      await this.deps.writer.deleteInstance(key);
    } catch (err) {
      this.deps.log.error('batch.replaced-copy-left', { batchId: b.ref.batchId, key, error: String((err as Error)?.message ?? err) });
    }
  }

  /** At association end: every batch that stored something gets its manifest. */
  async closeAll(reason: string): Promise<void> {
    await Promise.all([...this.batches.values()].map((b) => this.close(b, reason)));
  }

  private openMarker(b: Batch): OpenMarker {
    return {
      version: 1,
      batchId: b.ref.batchId,
      timestamp: b.ref.timestamp,
      prefix: this.deps.prefix,
      datePaths: [...b.datePaths],
      openedAt: b.openedAt,
      ...this.infoFields(),
    };
  }

  private infoFields() {
    return { callingAeTitle: this.info.callingAeTitle, calledAeTitle: this.info.calledAeTitle, peerAddress: this.info.peerAddress };
  }

  private async close(b: Batch, reason: string): Promise<void> {
    if (b.closed) return;
    b.closed = true;
    this.batches.delete(b.ref.batchId);
    if (b.instances.size === 0) return;
    await b.marker.catch(() => {});
    const manifest: BatchManifest = {
      ...this.openMarker(b),
      closedAt: new Date().toISOString(),
      closedBy: 'scp',
      reason,
      instances: [...b.instances.values()].map((e) => manifestEntry(this.deps.prefix, e)),
    };
    try {
      await this.deps.writer.closeBatch(manifest);
      this.deps.metrics.batchesClosed.inc();
      this.deps.log.info('batch.closed', { batchId: b.ref.batchId, instances: b.instances.size, bytes: b.bytes, reason });
    } catch (err) {
      // The open marker stays; the sweeper closes the batch later from what is stored.
      this.deps.log.error('batch.close-failed', { batchId: b.ref.batchId, error: String((err as Error)?.message ?? err) });
    }
  }
}

function manifestEntry(prefix: string, e: StoredEntry): ManifestInstance {
  const k = parseInstanceKey(prefix, e.key)!;
  return {
    key: e.key,
    sopInstanceUid: k.sopInstanceUid,
    seriesInstanceUid: k.seriesInstanceUid,
    studyInstanceUid: k.studyInstanceUid,
    sopClassUid: e.sopClassUid,
    studyDate: e.studyDate,
    size: e.size,
  };
}
