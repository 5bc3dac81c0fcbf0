/** Where stored objects go. Both sinks promise: `put` resolves only once the object is durable,
 * and nothing ever appears under `key` unless it is complete. */
export interface Sink {
  /** For logs and the status page, never holding secrets. */
  readonly description: string;
  put(key: string, body: Body): Promise<{ size: number }>;
  putJson(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
}

/**
 * The object's bytes in groups of chunks, each group written at once (one writev for a file).
 * A group is valid only until the next one is asked for: a sink that holds on to it copies it.
 */
export type Body = AsyncIterable<readonly Uint8Array[]> | Iterable<readonly Uint8Array[]>;

/** A write that failed after the sink's own retries; the C-STORE answer is 0xA700. */
export class StorageError extends Error {
  override name = 'StorageError';
}
