/**
 * The Piscina worker module: one sink per worker thread (from workerData), and the tasks the
 * main thread runs by name.
 */
import { workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { buffersOf } from './bytes.ts';
import { manifestKey, openMarkerKey, type BatchManifest, type OpenMarker } from './batch/layout.ts';
import type { SinkConfig, StoreOutcome, StoreTask } from './contracts.ts';
import { createSink } from './sinks/create-sink.ts';
import { FileSink } from './sinks/file-sink.ts';
import { storeInstance } from './store.ts';

const ctx = await createSink((workerData as { sink: SinkConfig }).sink);

/** The task's staging buffers go back (transferred) with the result, for reuse; each once, though several chunks may view it. */
export async function store(task: StoreTask) {
  const { storageSeconds, ...result } = await storeInstance(task, ctx);
  const stages = buffersOf(task.data);
  const outcome: StoreOutcome = { result, stages, ...(storageSeconds !== undefined ? { storageSeconds } : {}) };
  return move({ [transferableSymbol]: stages, [valueSymbol]: outcome });
}

export async function writeOpenMarker(marker: OpenMarker): Promise<void> {
  await ctx.sink.putJson(openMarkerKey(ctx.prefix, marker.batchId), marker);
}

/** An instance stored again in its batch under another key (another date, study or series): the earlier copy goes. */
export async function deleteInstance(key: string): Promise<void> {
  await ctx.sink.delete(key);
}

/** Start-up: a file sink's leftovers of a killed process (older than an hour); nothing to do for S3. */
export async function removeStaleTemporaries(): Promise<number> {
  return ctx.sink instanceof FileSink ? ctx.sink.removeStaleTemporaries(60 * 60 * 1000) : 0;
}

/** The manifest first: once it exists the batch is closed, and the marker is only a leftover. */
export async function closeBatch(manifest: BatchManifest): Promise<void> {
  await ctx.sink.putJson(manifestKey(ctx.prefix, manifest.batchId), manifest);
  await ctx.sink.delete(openMarkerKey(ctx.prefix, manifest.batchId));
}
