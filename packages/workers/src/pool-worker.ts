/**
 * The Piscina worker module: one sink per worker thread (from workerData), and the tasks the
 * main thread runs by name.
 */
import { workerData } from 'node:worker_threads';
import { manifestKey, openMarkerKey, type BatchManifest, type OpenMarker } from './batch/layout.ts';
import type { SinkConfig, StoreTask } from './contracts.ts';
import { createSink } from './sinks/create-sink.ts';
import { storeInstance } from './store.ts';

const ctx = await createSink((workerData as { sink: SinkConfig }).sink);

export function store(task: StoreTask) {
  return storeInstance(task, ctx);
}

export async function writeOpenMarker(marker: OpenMarker): Promise<void> {
  await ctx.sink.putJson(openMarkerKey(ctx.prefix, marker.batchId), marker);
}

/** The manifest first: once it exists the batch is closed, and the marker is only a leftover. */
export async function closeBatch(manifest: BatchManifest): Promise<void> {
  await ctx.sink.putJson(manifestKey(ctx.prefix, manifest.batchId), manifest);
  await ctx.sink.delete(openMarkerKey(ctx.prefix, manifest.batchId));
}
