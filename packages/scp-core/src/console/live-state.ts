/** /api/state: what the SCP is doing now, polled by the page every second. */
import type { ScpMetrics } from '../metrics/registry.ts';
import type { Listener } from '../server/listener.ts';
import type { MetricsSampler } from './metrics-sampler.ts';

export interface LiveSources {
  listener: Pick<Listener, 'openAssociations'>;
  metrics: ScpMetrics;
  sampler: MetricsSampler;
  draining(): boolean;
}

const gauge = async (g: ScpMetrics['poolQueueDepth']) => (await g.get()).values[0]?.value ?? 0;

export async function liveState(s: LiveSources, now = Date.now()) {
  const [cstores, queueDepth, utilization, bytesInFlight, socketsPaused, connectionsOpen] = await Promise.all([
    s.metrics.cstores.get(),
    gauge(s.metrics.poolQueueDepth),
    gauge(s.metrics.poolUtilization),
    gauge(s.metrics.bytesInFlight),
    gauge(s.metrics.socketsPaused),
    gauge(s.metrics.connectionsOpen),
  ]);
  return {
    now,
    draining: s.draining(),
    connectionsOpen,
    // Connections still negotiating have no AE titles yet: they count as connections, not associations.
    associations: s.listener
      .openAssociations()
      .filter((a) => a.state === 'established' || a.state === 'releasing')
      .map((a) => ({ ...a, durationMs: now - a.openedAt })),
    throughput: { intervalMs: s.sampler.options.intervalMs, points: s.sampler.throughput() },
    latency: s.sampler.latency(),
    statuses: Object.fromEntries(cstores.values.map((v) => [String(v.labels.status), v.value])),
    pool: { queueDepth, utilization, bytesInFlight },
    socketsPaused,
  };
}
