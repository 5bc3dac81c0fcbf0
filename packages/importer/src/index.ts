/** The import pipeline's public surface: what the CLI, the end-to-end tests and packages/infra use. */
export { startLocalPipeline, type LocalPipeline, type LocalPipelineOptions, type LocalExecutionRecord } from './local/pipeline.ts';
export { startS3rver, type RunningS3rver } from './local/s3rver.ts';
export { startDynalite, type RunningDynalite } from './local/dynalite.ts';
export { startLocalExecution, type LocalExecution, type LocalFunctions, type ExecutionEvent } from './local/state-machine.ts';
export { startHealthImagingEmulator, type RunningEmulator } from './emulator/server.ts';
export { HealthImagingEmulator, type EmulatorOptions, type ImageSetView } from './emulator/emulator.ts';
export { JobsTable, createJobsTable, DEFAULT_JOBS_TABLE_NAME, STUDY_INDEX_NAME, type JobRow, type FailedFile } from './jobs/table.ts';
export { IMPORTER_METRICS } from './metrics-catalog.ts';
export type { ImportJobSpec, ExecutionInput, PreparedJob, StartedJob, ImportJobStatus } from './pipeline/types.ts';
export { startLocalStack, type LocalStack, type LocalStackOptions, type LocalStackEndpoints } from './local/stack.ts';
