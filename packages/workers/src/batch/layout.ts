/**
 * The storage layout shared by the SCP (writer), the importer (reader) and the sweeper.
 * DESIGN.md "Storage key" and "Batches and import": this file is the single source of that contract.
 */

/** Data key: {prefix}{YYYY}/{MM}/{DD}/{Timestamp}/{Study}/{Series}/{SOPInstance}.dcm */
export function instanceKey(p: {
  prefix: string;
  datePath: string; // "YYYY/MM/DD"
  timestamp: number;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
}): string {
  return `${p.prefix}${p.datePath}/${p.timestamp}/${p.studyInstanceUid}/${p.seriesInstanceUid}/${p.sopInstanceUid}.dcm`;
}

/** The import prefix of one (batch, study): what one StartDICOMImportJob covers. Always ends in "/". */
export function studyPrefix(prefix: string, datePath: string, timestamp: number, studyInstanceUid: string): string {
  return `${prefix}${datePath}/${timestamp}/${studyInstanceUid}/`;
}

/** Parses a data key back into its parts; undefined when the key is not one of ours. */
export function parseInstanceKey(prefix: string, key: string): InstanceKeyParts | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const m = /^(\d{4}\/\d{2}\/\d{2})\/(\d+)\/([0-9.]{1,64})\/([0-9.]{1,64})\/([0-9.]{1,64})\.dcm$/.exec(key.slice(prefix.length));
  if (!m) return undefined;
  return {
    datePath: m[1]!,
    timestamp: Number(m[2]),
    studyInstanceUid: m[3]!,
    seriesInstanceUid: m[4]!,
    sopInstanceUid: m[5]!,
  };
}

export interface InstanceKeyParts {
  datePath: string;
  timestamp: number;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
}

/** Reserved prefix for batch bookkeeping; never inside an import prefix (those start with a 4-digit year). */
export const BATCHES_DIR = '_batches';
export const openMarkerKey = (prefix: string, batchId: string) => `${prefix}${BATCHES_DIR}/open/${batchId}.json`;
export const manifestKey = (prefix: string, batchId: string) => `${prefix}${BATCHES_DIR}/closed/${batchId}.json`;
export const OPEN_MARKER_DIR = (prefix: string) => `${prefix}${BATCHES_DIR}/open/`;
export const MANIFEST_DIR = (prefix: string) => `${prefix}${BATCHES_DIR}/closed/`;

/** HealthImaging per-job quotas a batch must stay inside. */
export const BATCH_MAX_FILES = 5000;
export const BATCH_MAX_BYTES = 10 * 1000 ** 3;

/** Written (and rewritten) before the first instance under a new date path is acknowledged. */
export interface OpenMarker {
  version: 1;
  batchId: string;
  /** The batch's Timestamp (ms since epoch) used in every key of the batch. */
  timestamp: number;
  /** The storage prefix the keys live under ("" or "some/prefix/"). */
  prefix: string;
  /** "YYYY/MM/DD" date paths in use by this batch so far. */
  datePaths: string[];
  openedAt: string; // ISO 8601
  callingAeTitle: string;
  calledAeTitle: string;
  peerAddress: string;
}

export interface ManifestInstance {
  key: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  sopClassUid: string;
  /** StudyDate as received (DA, YYYYMMDD) or "" when absent/invalid. */
  studyDate: string;
  /** Bytes of the stored Part 10 object. */
  size: number;
}

/** Written when the batch closes (association end, rotation, drain) or by the sweeper. Its creation starts the import. */
export interface BatchManifest {
  version: 1;
  batchId: string;
  timestamp: number;
  prefix: string;
  datePaths: string[];
  openedAt: string;
  closedAt: string;
  closedBy: 'scp' | 'sweeper';
  /** Why it closed: release, abort, timeout, rotation, drain, error, swept. */
  reason: string;
  callingAeTitle: string;
  calledAeTitle: string;
  peerAddress: string;
  instances: ManifestInstance[];
}

/** Execution names: 1–80 chars of [A-Za-z0-9-_]; batch IDs are built to fit. */
export function executionNameForBatch(batchId: string): string {
  return batchId.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 80);
}
