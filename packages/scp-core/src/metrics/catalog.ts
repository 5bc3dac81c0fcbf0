/**
 * Every metric the SCP emits, with the same name locally (Prometheus /metrics) and on AWS
 * (CloudWatch namespace below, one dimension per label). The CDK dashboard and alarms are
 * checked against this list by a test in packages/infra.
 */
export const METRICS_NAMESPACE = 'StoreSCP';

export type MetricKind = 'counter' | 'gauge' | 'histogram';

export interface MetricSpec {
  name: string;
  kind: MetricKind;
  help: string;
  labels: readonly string[];
  /** CloudWatch unit. */
  unit: 'Count' | 'Bytes' | 'Seconds' | 'Percent';
}

export const SCP_METRICS = {
  associationsOpen: { name: 'storescp_associations_open', kind: 'gauge', help: 'Associations currently established', labels: [], unit: 'Count' },
  associationsAccepted: { name: 'storescp_associations_accepted_total', kind: 'counter', help: 'Associations accepted', labels: [], unit: 'Count' },
  associationsRejected: { name: 'storescp_associations_rejected_total', kind: 'counter', help: 'Associations or connections refused, by reason', labels: ['reason'], unit: 'Count' },
  connectionsOpen: { name: 'storescp_connections_open', kind: 'gauge', help: 'TCP connections currently open (associated or not)', labels: [], unit: 'Count' },
  cstores: { name: 'storescp_cstore_total', kind: 'counter', help: 'C-STORE requests answered, by DIMSE status (hex)', labels: ['status'], unit: 'Count' },
  bytesReceived: { name: 'storescp_bytes_received_total', kind: 'counter', help: 'Dataset bytes received in C-STORE requests', labels: [], unit: 'Bytes' },
  cstoreLatency: { name: 'storescp_cstore_duration_seconds', kind: 'histogram', help: 'From the first dataset fragment to the C-STORE response', labels: [], unit: 'Seconds' },
  poolQueueDepth: { name: 'storescp_pool_queue_depth', kind: 'gauge', help: 'Store tasks waiting for a worker', labels: [], unit: 'Count' },
  poolUtilization: { name: 'storescp_pool_utilization', kind: 'gauge', help: 'Worker pool utilization (0..1)', labels: [], unit: 'Percent' },
  storageWriteLatency: { name: 'storescp_storage_write_duration_seconds', kind: 'histogram', help: 'Time a worker spent writing one object durably', labels: [], unit: 'Seconds' },
  storageWriteErrors: { name: 'storescp_storage_write_errors_total', kind: 'counter', help: 'Object writes that failed after retries', labels: [], unit: 'Count' },
  socketsPaused: { name: 'storescp_sockets_paused', kind: 'gauge', help: 'Sockets not being read because of backpressure', labels: [], unit: 'Count' },
  bytesInFlight: { name: 'storescp_bytes_in_flight', kind: 'gauge', help: 'Bytes received but not yet taken by a worker: datasets, and what a peer sent ahead of an answer', labels: [], unit: 'Bytes' },
  batchesOpened: { name: 'storescp_batches_opened_total', kind: 'counter', help: 'Batches opened', labels: [], unit: 'Count' },
  batchesClosed: { name: 'storescp_batches_closed_total', kind: 'counter', help: 'Batches closed with a manifest by the SCP', labels: [], unit: 'Count' },
} as const satisfies Record<string, MetricSpec>;
