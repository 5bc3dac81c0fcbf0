/** What a run measures, accumulated as it goes: HDR histograms in microseconds and counts by outcome. */
import { build, type Histogram } from 'hdr-histogram-js';

const histogram = (): Histogram => build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });

export class RunStats {
  readonly storeLatencyUs = histogram();
  readonly setupUs = histogram();
  /** DIMSE status of every answered C-STORE (0x0000 success, 0xBxxx warning, others failure). */
  readonly statuses = new Map<number, number>();
  /** Instances or associations lost without a DIMSE status, by reason. */
  readonly errors = new Map<string, number>();
  instances = 0;
  bytes = 0;
  openAssociations = 0;

  recordStore(status: number, bytes: number, latencyMs: number): void {
    this.storeLatencyUs.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    this.instances++;
    if (isSuccess(status)) this.bytes += bytes;
  }

  recordError(reason: string): void {
    this.errors.set(reason, (this.errors.get(reason) ?? 0) + 1);
  }

  get failures(): number {
    let n = 0;
    for (const [status, count] of this.statuses) if (!isSuccess(status)) n += count;
    for (const count of this.errors.values()) n += count;
    return n;
  }
}

/** Success and warnings (PS3.7 C.1: 0x0000, 0x0001, 0x0107, 0x0116, 0xBxxx) mean the instance was stored. */
export function isSuccess(status: number): boolean {
  return status === 0x0000 || status === 0x0001 || status === 0x0107 || status === 0x0116 || (status & 0xf000) === 0xb000;
}

/** Summary of a histogram in milliseconds. */
export function percentiles(h: Histogram): { p50: number; p90: number; p99: number; max: number; mean: number } {
  const ms = (us: number) => Math.round(us) / 1000;
  if (h.totalCount === 0) return { p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  return { p50: ms(h.getValueAtPercentile(50)), p90: ms(h.getValueAtPercentile(90)), p99: ms(h.getValueAtPercentile(99)), max: ms(h.maxValue), mean: ms(h.mean) };
}
