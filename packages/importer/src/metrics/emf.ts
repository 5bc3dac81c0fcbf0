/**
 * CloudWatch Embedded Metric Format: a Lambda publishes a metric by printing one JSON line on stdout,
 * which CloudWatch Logs turns into a metric, with no API call and no extra latency.
 * Namespace and names come from the shared catalogue; each label is one dimension.
 */
import { METRICS_NAMESPACE, type MetricSpec } from '@storescp/scp-core/metrics-catalog';

export type MetricSink = (line: string) => void;

export const stdoutSink: MetricSink = (line) => process.stdout.write(`${line}\n`);

export function emitMetric(
  sink: MetricSink,
  spec: MetricSpec,
  value: number,
  labels: Record<string, string> = {},
): void {
  const dimensions = spec.labels.filter((l) => labels[l] !== undefined);
  const record: Record<string, unknown> = {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        { Namespace: METRICS_NAMESPACE, Dimensions: [dimensions], Metrics: [{ Name: spec.name, Unit: spec.unit }] },
      ],
    },
    ...Object.fromEntries(dimensions.map((d) => [d, labels[d]])),
    [spec.name]: value,
  };
  sink(JSON.stringify(record));
}
