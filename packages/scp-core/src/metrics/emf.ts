/**
 * CloudWatch Embedded Metric Format on stdout. On ECS with the awslogs driver, CloudWatch Logs
 * turns these lines into metrics: no agent and no PutMetricData permission needed. Counters are
 * sent as deltas, gauges as values, histograms as bucket values with counts.
 */
import type { Registry } from 'prom-client';
import { METRICS_NAMESPACE, SCP_METRICS } from './catalog.ts';

const UNITS = new Map<string, string>(Object.values(SCP_METRICS).map((m) => [m.name, m.unit]));

interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

export function startEmf(registry: Registry, write: (line: string) => void, intervalMs = 60_000): () => void {
  const last = new Map<string, number>();
  const flush = async () => {
    for (const metric of await registry.getMetricsAsJSON()) {
      const type = String(metric.type);
      const unit = UNITS.get(metric.name) ?? 'None';
      const groups = new Map<string, { labels: Record<string, string>; values: number[]; counts: number[] }>();
      for (const s of metric.values as Sample[]) {
        const labels = Object.fromEntries(Object.entries(s.labels).filter(([k]) => k !== 'le').map(([k, v]) => [k, String(v)]));
        const id = `${metric.name}${JSON.stringify(labels)}${s.labels.le ?? ''}${s.metricName ?? ''}`;
        let value = s.value;
        if (type === 'counter' || type === 'histogram') {
          value = s.value - (last.get(id) ?? 0);
          last.set(id, s.value);
        }
        if (type === 'histogram' && !s.metricName?.endsWith('_bucket')) continue;
        const gid = JSON.stringify(labels);
        const g = groups.get(gid) ?? { labels, values: [], counts: [] };
        groups.set(gid, g);
        if (type === 'histogram') {
          // Cumulative buckets: the delta of each bucket minus the one below is what fell in it.
          const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
          g.values.push(le);
          g.counts.push(value);
        } else {
          g.values.push(value);
          g.counts.push(1);
        }
      }
      for (const g of groups.values()) {
        const values: number[] = [];
        const counts: number[] = [];
        let below = 0;
        g.values.forEach((v, i) => {
          const n = type === 'histogram' ? g.counts[i]! - below : g.counts[i]!;
          if (type === 'histogram') below = g.counts[i]!;
          if (n > 0 || type !== 'histogram') {
            values.push(Number.isFinite(v) ? v : (g.values[i - 1] ?? 0));
            counts.push(n);
          }
        });
        if (values.length === 0) continue;
        write(
          JSON.stringify({
            _aws: {
              Timestamp: Date.now(),
              CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [Object.keys(g.labels)], Metrics: [{ Name: metric.name, Unit: unit }] }],
            },
            ...g.labels,
            [metric.name]: type === 'histogram' ? { Values: values, Counts: counts } : values[0],
          }) + '\n',
        );
      }
    }
  };
  const timer = setInterval(() => void flush(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
