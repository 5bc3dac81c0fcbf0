export * from './contracts.ts';
export * from './batch/layout.ts';
export type { ImportJobStatus, FailedFile, JobRow } from './import-jobs.ts';
export { parseStorageUrl, type StorageLocation } from './sinks/storage-url.ts';
export { createSink } from './sinks/create-sink.ts';
export type { Sink, Body } from './sinks/sink.ts';
export { StorageError } from './sinks/sink.ts';
export { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './part10/file-meta.ts';
export { isValidUid } from './header/uids.ts';

/** Path of the Piscina worker module, for the pool in scp-core. */
export const POOL_WORKER_URL = new URL('./pool-worker.mjs', import.meta.url);
