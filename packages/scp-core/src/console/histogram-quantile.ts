/**
 * Quantiles from cumulative histogram buckets, as Prometheus' histogram_quantile computes them:
 * linear interpolation inside the bucket the rank falls in. Good to the bucket resolution, which
 * is what the dashboard shows on AWS too.
 */
export interface Buckets {
  /** Upper bounds in seconds, ascending, the last one Infinity. */
  le: number[];
  /** Cumulative counts per bound. */
  counts: number[];
}

/** Bucket counts of `now` minus those of `before`: the observations made in between. */
export function bucketsBetween(before: Buckets, now: Buckets): Buckets {
  return { le: now.le, counts: now.counts.map((c, i) => c - (before.counts[i] ?? 0)) };
}

/** Seconds, or undefined when there was no observation. */
export function quantile(q: number, b: Buckets): number | undefined {
  const total = b.counts.at(-1) ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  const i = b.counts.findIndex((c) => c >= rank);
  const upper = b.le[i]!;
  const lower = i > 0 ? b.le[i - 1]! : 0;
  // Above the last finite bound nothing is known but "more than it".
  if (upper === Infinity) return lower;
  const below = i > 0 ? b.counts[i - 1]! : 0;
  const inBucket = b.counts[i]! - below;
  return inBucket === 0 ? upper : lower + (upper - lower) * ((rank - below) / inBucket);
}
