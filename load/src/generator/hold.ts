/**
 * Idle associations: open `count` of them, hold them all at once for a while, then have each
 * answer a C-ECHO and release. Measures what a receiver pays per idle association.
 */
import { openAssociation, type OpenAssociation, type Target } from './connect.ts';
import { limited, reasonOf, withVerification } from './run.ts';
import { RunStats, percentiles } from './stats.ts';

export interface HoldOptions {
  target: Target;
  count: number;
  holdMs: number;
  connectConcurrency?: number;
  /** Called once every association that could be opened is open (the bench samples memory here). */
  onHeld?: (open: number) => Promise<void> | void;
}

export interface HoldResult {
  requested: number;
  held: number;
  echoed: number;
  setupMs: ReturnType<typeof percentiles>;
  errors: Record<string, number>;
}

export async function holdAssociations(opts: HoldOptions): Promise<HoldResult> {
  const stats = new RunStats();
  const opened = await limited(opts.count, opts.connectConcurrency ?? 64, async () => {
    try {
      // The inactivity timeout must outlast the hold.
      const assoc = await openAssociation({ ...opts.target, timeoutMs: opts.target.timeoutMs + opts.holdMs }, withVerification([]));
      stats.setupUs.recordValue(Math.max(1, Math.round(assoc.setupMs * 1000)));
      return assoc;
    } catch (err) {
      stats.recordError(`association: ${reasonOf(err)}`);
      return undefined;
    }
  });
  const held = opened.filter((a): a is OpenAssociation => a !== undefined);
  await opts.onHeld?.(held.length);
  await new Promise((resolve) => setTimeout(resolve, opts.holdMs));
  let echoed = 0;
  await Promise.all(
    held.map(async (assoc) => {
      try {
        const status = await assoc.association.echo();
        if (status === 0) echoed++;
        else stats.recordError(`C-ECHO status 0x${status.toString(16)}`);
        await assoc.association.release();
      } catch (err) {
        stats.recordError(`C-ECHO: ${reasonOf(err)}`);
        assoc.destroy();
      }
    }),
  );
  return { requested: opts.count, held: held.length, echoed, setupMs: percentiles(stats.setupUs), errors: Object.fromEntries(stats.errors) };
}
