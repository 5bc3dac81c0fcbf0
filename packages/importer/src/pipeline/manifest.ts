/**
 * Validation of a closed batch manifest before anything is imported from it: a manifest that does
 * not match the storage layout is refused with every problem named, never half-imported.
 */
import { manifestKey, parseInstanceKey, type BatchManifest } from '@storescp/workers/layout';

const UID = /^[0-9.]{1,64}$/;

export class InvalidManifestError extends Error {
  constructor(
    readonly key: string,
    readonly problems: string[],
  ) {
    super(`invalid batch manifest ${key}: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? `; and ${problems.length - 10} more` : ''}`);
    this.name = 'InvalidManifestError';
  }
}

export function parseBatchManifest(text: string, key: string): BatchManifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidManifestError(key, ['not JSON']);
  }
  const m = value as Partial<BatchManifest> | null;
  const problems: string[] = [];
  const need = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  if (typeof m !== 'object' || m === null) throw new InvalidManifestError(key, ['not a JSON object']);
  need(m.version === 1, `version must be 1 (got ${JSON.stringify(m.version)})`);
  need(typeof m.batchId === 'string' && m.batchId !== '', 'batchId missing');
  need(typeof m.prefix === 'string', 'prefix missing');
  need(Number.isInteger(m.timestamp), 'timestamp missing');
  need(Array.isArray(m.instances), 'instances missing');
  if (problems.length > 0) throw new InvalidManifestError(key, problems);
  need(manifestKey(m.prefix!, m.batchId!) === key, `stored at ${key}, but its batchId and prefix put it at ${manifestKey(m.prefix!, m.batchId!)}`);

  m.instances!.forEach((inst, i) => {
    const at = `instances[${i}]`;
    if (typeof inst !== 'object' || inst === null || typeof inst.key !== 'string') return problems.push(`${at}.key missing`);
    for (const f of ['sopInstanceUid', 'seriesInstanceUid', 'studyInstanceUid'] as const) {
      need(typeof inst[f] === 'string' && UID.test(inst[f]), `${at}.${f} is not a UID`);
    }
    need(Number.isFinite(inst.size) && inst.size >= 0, `${at}.size must be a byte count`);
    need(typeof inst.studyDate === 'string' && typeof inst.sopClassUid === 'string', `${at}.studyDate/sopClassUid must be strings`);
    const parts = parseInstanceKey(m.prefix!, inst.key);
    if (!parts) return problems.push(`${at}.key ${inst.key} is not a data key under prefix ${JSON.stringify(m.prefix)}`);
    need(
      parts.timestamp === m.timestamp &&
        parts.studyInstanceUid === inst.studyInstanceUid &&
        parts.seriesInstanceUid === inst.seriesInstanceUid &&
        parts.sopInstanceUid === inst.sopInstanceUid,
      `${at}.key ${inst.key} does not match the batch timestamp and the instance's UIDs`,
    );
  });
  if (problems.length > 0) throw new InvalidManifestError(key, problems);
  return m as BatchManifest;
}
