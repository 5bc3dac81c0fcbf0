/**
 * The SCP's metrics, built from the catalog so names cannot drift from what the dashboard reads.
 * Prometheus text on /metrics; the same values go to CloudWatch as EMF (metrics/emf.ts).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SCP_METRICS } from './catalog.ts';

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** Gauges whose value is read when they are scraped, not set as it changes. */
const scrapeReaders = new WeakMap<Gauge, () => number>();

/** `gauge` reports `read()` whenever it is scraped: for a value that changes too often to set. */
export function readOnScrape(gauge: Gauge, read: () => number): void {
  scrapeReaders.set(gauge, read);
}

function build(registry: Registry) {
  const make = (spec: (typeof SCP_METRICS)[keyof typeof SCP_METRICS]) => {
    const common = { name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [registry] };
    if (spec.kind === 'counter') return new Counter(common);
    if (spec.kind === 'gauge') {
      return new Gauge({
        ...common,
        collect() {
          const read = scrapeReaders.get(this);
          if (read) this.set(read());
        },
      });
    }
    return new Histogram({ ...common, buckets: LATENCY_BUCKETS });
  };
  const m = Object.fromEntries(Object.entries(SCP_METRICS).map(([k, spec]) => [k, make(spec)]));
  return m as {
    [K in keyof typeof SCP_METRICS]: (typeof SCP_METRICS)[K]['kind'] extends 'counter'
      ? Counter
      : (typeof SCP_METRICS)[K]['kind'] extends 'gauge'
        ? Gauge
        : Histogram;
  };
}

export type ScpMetrics = ReturnType<typeof build> & { registry: Registry };

export function createMetrics(): ScpMetrics {
  const registry = new Registry();
  return Object.assign(build(registry), { registry });
}
