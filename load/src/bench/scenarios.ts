/** The scenarios of issue 5, full and quick (under two minutes), and the corpus they share. */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeCorpus } from '../synthetic/corpus.ts';
import { OURS, ORTHANC, STORESCP_FORK, STORESCP_FORK_B, orthancInstalled, type ReceiverSpec } from './receivers.ts';

/**
 * Synthetic instances (fresh UIDs) sent over the same associations before a store scenario is
 * measured, to every receiver alike: figures are for a receiver that has been running (JIT
 * compiled, memory paged in), not for its first second. As many as the corpus: after 500, our
 * SCP still ran 0.8 of its figure after 2,000 (same run, 16 associations: 783 / 760 against
 * 945 / 924 MB/s, CPU 1.6-1.7 against 1.3 s/GB), while storescp's did not move.
 */
export interface Warmup {
  instances: number;
  sizeMb: number;
}

export type Scenario =
  | { kind: 'store'; name: string; corpus: 'ct' | 'mf'; associations: number; warmup: Warmup; receivers: ReceiverSpec[] }
  | { kind: 'idle'; name: string; associations: number; holdS: number; receivers: ReceiverSpec[] };

export interface Plan {
  ctInstances: number;
  /** Sizes of the multi-frame instances in MB. */
  multiFrameMb: number[];
  scenarios: Scenario[];
  /**
   * Who runs the first scenario once, unreported, after the corpus is written: the first runs
   * meet cold pages (here storescp went 270, 305, then 822 MB/s in its first three). Every
   * receiver in a full run; in --quick only the first, to stay under two minutes with Orthanc.
   */
  settlers: ReceiverSpec[];
}

export interface PlanOptions {
  quick?: boolean;
  /** Receivers instead of ours, storescp and Orthanc in every scenario (same-run A/Bs of builds). */
  receivers?: ReceiverSpec[];
  /** Run only these: CT scenarios by association count ('16'), 'mf', 'idle'. */
  only?: string[];
}

export function plan({ quick = false, receivers, only }: PlanOptions = {}): Plan {
  const orthanc = receivers ? [] : orthancInstalled() ? [ORTHANC] : [];
  const pair = receivers ?? [OURS, STORESCP_FORK, ...orthanc];
  const ctLevels = quick ? [1, 16, 64, 300] : [1, 4, 16, 64, 300];
  const idleLevels = quick ? [500] : [1000, 10000];
  const ctInstances = quick ? 300 : 2000;
  const multiFrameMb = quick ? [100, 100] : [100, 125, 150, 175, 200];
  const ctWarmup = { instances: ctInstances, sizeMb: 0.5 };
  const mfWarmup = { instances: 2, sizeMb: 20 };
  const wanted = (token: string) => only === undefined || only.includes(token);
  const unknown = only?.filter((t) => t !== 'mf' && t !== 'idle' && !ctLevels.includes(Number(t)));
  if (unknown?.length) throw new Error(`unknown scenario ${unknown.join(', ')}: give CT association counts (${ctLevels.join(', ')}), mf or idle`);
  const scenarios: Scenario[] = [
    ...ctLevels.filter((n) => wanted(String(n))).map((n): Scenario => ({ kind: 'store', name: `${ctInstances} × 0.5 MB CT, ${n} assoc`, corpus: 'ct', associations: n, warmup: ctWarmup, receivers: pair })),
    ...(wanted('mf') ? [{ kind: 'store', name: `${multiFrameMb.length} × ${[...new Set([Math.min(...multiFrameMb), Math.max(...multiFrameMb)])].join('–')} MB MF, 2 assoc`, corpus: 'mf', associations: 2, warmup: mfWarmup, receivers: receivers ?? [OURS, STORESCP_FORK, STORESCP_FORK_B, ...orthanc] } satisfies Scenario] : []),
    ...(wanted('idle') ? idleLevels.map((n): Scenario => ({ kind: 'idle', name: `${n} idle assoc + C-ECHO`, associations: n, holdS: quick ? 2 : 5, receivers: pair })) : []),
  ];
  return {
    ctInstances,
    // Nothing to write for the multi-frame scenario when it does not run.
    multiFrameMb: wanted('mf') ? multiFrameMb : [],
    settlers: quick ? pair.slice(0, 1) : pair,
    scenarios,
  };
}

/** Writes the corpus under `dir` (ct/… and mf/…) with the synthetic generator. */
export async function makeCorpus(dir: string, p: Plan): Promise<{ ct: string; mf: string }> {
  await rm(dir, { recursive: true, force: true });
  const ct = path.join(dir, 'ct');
  const mf = path.join(dir, 'mf');
  await writeCorpus(ct, { ct: p.ctInstances, studies: 20, multiFrameMb: 0 });
  for (const [i, mb] of p.multiFrameMb.entries()) {
    await mkdir(path.join(mf, String(i)), { recursive: true });
    await writeCorpus(path.join(mf, String(i)), { ct: 0, studies: 1, multiFrameMb: mb });
  }
  return { ct, mf };
}
