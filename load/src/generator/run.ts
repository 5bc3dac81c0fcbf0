/**
 * The load run: N associations in parallel, each sending one C-STORE at a time (like storescu),
 * or keeping `window` of them unanswered, until the budget (instances in total, per association,
 * or a duration) is spent.
 */
import { TransferSyntax, VERIFICATION_SOP_CLASS } from '@storescp/scp-core';
import type { ContextProposal } from '../protocol/association.ts';
import { openAssociation, type OpenAssociation, type Target } from './connect.ts';
import type { InstanceSource } from './sources.ts';
import { RunStats, isSuccess, percentiles } from './stats.ts';

export interface LoadOptions {
  target: Target;
  source: InstanceSource;
  associations: number;
  /** Stop after this many instances in total… */
  instances?: number;
  /** …or this many per association… */
  perAssociation?: number;
  /** …or after this long (whichever comes first). */
  durationMs?: number;
  /**
   * C-STOREs sent per association before waiting for an answer (default 1, like storescu). More
   * sends ahead without an asynchronous operations window negotiated, as some senders do.
   */
  window?: number;
  /** Associations being set up at once: thousands of simultaneous SYNs overflow listen backlogs. */
  connectConcurrency?: number;
  onTick?: (stats: RunStats, elapsedMs: number) => void;
}

export interface LoadResult {
  associations: number;
  instances: number;
  succeeded: number;
  failures: number;
  bytes: number;
  elapsedS: number;
  instancesPerS: number;
  mbPerS: number;
  latencyMs: ReturnType<typeof percentiles>;
  setupMs: ReturnType<typeof percentiles>;
  /** DIMSE status (hex) → count. */
  statuses: Record<string, number>;
  /** Failures without a status (association rejected, aborted, timed out) → count. */
  errors: Record<string, number>;
  /** The generator's own CPU seconds (user + system) over the run: is it near being the bottleneck? */
  cpuS: number;
}

/** Verification is proposed too, so the same association can answer a C-ECHO. */
export const withVerification = (proposals: ContextProposal[]): ContextProposal[] => [...proposals, { abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntax: TransferSyntax.ImplicitVRLittleEndian }];

/** Runs at most `limit` of the tasks at once. */
export async function limited<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let nextIndex = 0;
  const lane = async () => {
    while (nextIndex < count) {
      const i = nextIndex++;
      out[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  return out;
}

export const reasonOf = (err: unknown): string => (err instanceof Error ? err.message.replace(/\d+ ms/, 'N ms') : String(err));

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const stats = new RunStats();
  const proposals = withVerification(opts.source.proposals);
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const deadline = opts.durationMs === undefined ? Infinity : started + opts.durationMs;
  let remaining = opts.instances ?? Infinity;
  if (remaining === Infinity && opts.perAssociation === undefined && deadline === Infinity) remaining = opts.source.distinct;
  /** Whether an association that sent `sent` may send another. */
  const more = (sent: number): boolean => remaining > 0 && sent < (opts.perAssociation ?? Infinity) && performance.now() < deadline;
  const take = (sent: number): boolean => {
    if (!more(sent)) return false;
    remaining--;
    return true;
  };
  let lastStoreAt = started;
  const ticker = opts.onTick && setInterval(() => opts.onTick!(stats, performance.now() - started), 1000);

  const open = async (): Promise<OpenAssociation | undefined> => {
    try {
      const assoc = await openAssociation(opts.target, proposals);
      stats.setupUs.recordValue(Math.max(1, Math.round(assoc.setupMs * 1000)));
      stats.openAssociations++;
      return assoc;
    } catch (err) {
      stats.recordError(`association: ${reasonOf(err)}`);
      return undefined;
    }
  };

  // Each lane is one association at a time, with `window` senders on it. A broken association
  // fails every store it had unanswered and is replaced once per break while there is more to
  // send, keeping the count sent; a lane whose association cannot be (re)opened stops, so a dead
  // peer ends the run instead of looping. With --per-association and a total (-n or -d), a lane
  // that sent its share releases and opens the next association, as modalities do study after
  // study.
  const reconnect = opts.perAssociation !== undefined && (opts.instances !== undefined || deadline !== Infinity);
  const window = opts.window ?? 1;
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`window must be a whole number ≥ 1, not ${window}`);
  const lane = async (first: OpenAssociation | undefined): Promise<void> => {
    let sent = 0;
    for (let assoc = first; assoc; ) {
      const current = assoc;
      let broken = false;
      const sender = async () => {
        while (!broken && take(sent)) {
          sent++;
          const inst = opts.source.next();
          const t0 = performance.now();
          try {
            const status = await current.association.store(inst);
            lastStoreAt = performance.now();
            stats.recordStore(status, inst.length, lastStoreAt - t0);
          } catch (err) {
            stats.recordError(`C-STORE: ${reasonOf(err)}`);
            broken = true;
          }
        }
      };
      await Promise.all(Array.from({ length: window }, sender));
      if (broken) {
        current.destroy();
        stats.openAssociations--;
        assoc = more(sent) ? await open() : undefined;
        continue;
      }
      await current.association.release().catch(() => current.destroy());
      stats.openAssociations--;
      sent = 0;
      assoc = reconnect && more(sent) ? await open() : undefined;
    }
  };

  // Connecting is throttled; each association starts sending as soon as it is up.
  await limited(opts.associations, opts.connectConcurrency ?? 64, async () => {
    const assoc = await open();
    return { done: lane(assoc) };
  }).then((lanes) => Promise.all(lanes.map((l) => l.done)));
  if (ticker) clearInterval(ticker);

  const elapsedS = (lastStoreAt - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const succeeded = [...stats.statuses].reduce((n, [s, c]) => n + (isSuccess(s) ? c : 0), 0);
  return {
    associations: opts.associations,
    instances: stats.instances,
    succeeded,
    failures: stats.failures,
    bytes: stats.bytes,
    elapsedS,
    instancesPerS: elapsedS > 0 ? succeeded / elapsedS : 0,
    mbPerS: elapsedS > 0 ? stats.bytes / 1e6 / elapsedS : 0,
    latencyMs: percentiles(stats.storeLatencyUs),
    setupMs: percentiles(stats.setupUs),
    statuses: Object.fromEntries([...stats.statuses].map(([s, c]) => [`0x${s.toString(16).padStart(4, '0')}`, c])),
    errors: Object.fromEntries(stats.errors),
    cpuS: (cpu.user + cpu.system) / 1e6,
  };
}
