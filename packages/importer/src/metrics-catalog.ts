import type { MetricSpec } from '@storescp/scp-core/metrics-catalog';

/** Metrics the import pipeline (Lambdas, sweeper) emits, in the SCP's CloudWatch namespace. */
export const IMPORTER_METRICS = {
  batchesSwept: { name: 'storescp_batches_swept_total', kind: 'counter', help: 'Batches closed by the sweeper (the SCP died before closing them)', labels: [], unit: 'Count' },
  importJobs: { name: 'storescp_import_jobs_total', kind: 'counter', help: 'Import jobs that reached a status', labels: ['status'], unit: 'Count' },
  importFilesFailed: { name: 'storescp_import_files_failed_total', kind: 'counter', help: 'Files HealthImaging reported as failed', labels: [], unit: 'Count' },
} as const satisfies Record<string, MetricSpec>;
