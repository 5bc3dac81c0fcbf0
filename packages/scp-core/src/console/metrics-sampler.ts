/**
 * Samples the SCP's counters once a second into a bounded window, so the console can chart
 * throughput and give latency percentiles over recent minutes: Prometheus counters are totals
 * since start, and rates need two points in time.
 */
import type { ScpMetrics } from '../metrics/registry.ts';
import { type Buckets, bucketsBetween, quantile } from './histogram-quantile.ts';

interface Sample {
  t: number;
  /** C-STOREs answered with success or a warning: instances the SCP has stored. */
  stored: number;
  bytes: number;
  latency: Buckets;
}

export interface ThroughputPoint {
  /** Milliseconds since the epoch, at the end of the interval. */
  t: number;
  instancesPerSecond: number;
  megabytesPerSecond: number;
}

export interface LatencySummary {
  windowSeconds: number;
  count: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
}

export interface SamplerOptions {
  intervalMs: number;
  /** Samples kept: the chart's span is capacity × interval. */
  capacity: number;
}

export const DEFAULT_SAMPLER: SamplerOptions = { intervalMs: 1000, capacity: 300 };

/** Success (0x0000) and the warnings (0xB…) both mean the instance was stored. */
const isStored = (statusLabel: string) => statusLabel === '0x0000' || /^0xb/i.test(statusLabel);

export class MetricsSampler {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly metrics: ScpMetrics,
    readonly options: SamplerOptions = DEFAULT_SAMPLER,
  ) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.options.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async sample(now = Date.now()): Promise<void> {
    const [cstores, bytes, latency] = await Promise.all([this.metrics.cstores.get(), this.metrics.bytesReceived.get(), this.metrics.cstoreLatency.get()]);
    const buckets = latency.values
      .filter((v) => v.metricName?.endsWith('_bucket'))
      .map((v) => ({ le: v.labels.le === '+Inf' ? Infinity : Number(v.labels.le), count: v.value }))
      .sort((a, b) => a.le - b.le);
    this.samples.push({
      t: now,
      stored: cstores.values.filter((v) => isStored(String(v.labels.status))).reduce((sum, v) => sum + v.value, 0),
      bytes: bytes.values[0]?.value ?? 0,
      latency: { le: buckets.map((b) => b.le), counts: buckets.map((b) => b.count) },
    });
    if (this.samples.length > this.options.capacity) this.samples.shift();
  }

  throughput(): ThroughputPoint[] {
    return this.samples.slice(1).map((s, i) => {
      const prev = this.samples[i]!;
      const seconds = Math.max((s.t - prev.t) / 1000, 0.001);
      return { t: s.t, instancesPerSecond: (s.stored - prev.stored) / seconds, megabytesPerSecond: (s.bytes - prev.bytes) / seconds / 1e6 };
    });
  }

  /** C-STORE latency over the last `windowSeconds` (or since the oldest sample kept). */
  latency(windowSeconds = 60): LatencySummary {
    const last = this.samples.at(-1);
    if (!last) return { windowSeconds, count: 0, p50Ms: undefined, p99Ms: undefined };
    // Before any sample is older than the window, the sampler (started with the SCP) has seen it all.
    const baseline = this.samples.findLast((s) => s.t <= last.t - windowSeconds * 1000);
    const window = baseline ? bucketsBetween(baseline.latency, last.latency) : last.latency;
    const ms = (q: number) => {
      const s = quantile(q, window);
      return s === undefined ? undefined : s * 1000;
    };
    return { windowSeconds, count: window.counts.at(-1) ?? 0, p50Ms: ms(0.5), p99Ms: ms(0.99) };
  }
}
