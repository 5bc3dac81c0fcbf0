/**
 * The worker's view of one incoming dataset, in groups of chunks: first every chunk that came
 * with the task, then one group per message arriving on its MessagePort. Chunks are views of the
 * main thread's staging buffers, transferred: those that came with the task are returned with
 * the outcome; a port group is valid only until the next call to next(), which sends its buffer
 * back with its ack (the main thread reuses it and releases its backpressure budget). keep()
 * gives a chunk that outlives that.
 */
import type { MessagePort } from 'node:worker_threads';
import type { StreamAck, StreamMessage } from './contracts.ts';

export class DatasetAborted extends Error {
  override name = 'DatasetAborted';
}

export class DatasetSource {
  private inline: Uint8Array[] | undefined;
  private readonly queue: StreamMessage[] = [];
  private wake: (() => void) | undefined;
  private ended: boolean;
  /** The port group last returned (its staging buffer and byte count), acknowledged on the next call. */
  private lent: { stage: ArrayBuffer; bytes: number } | undefined;

  constructor(data: Uint8Array[], private readonly port: MessagePort | undefined) {
    this.inline = data.length > 0 ? data : undefined;
    this.ended = port === undefined;
    port?.on('message', (m: StreamMessage) => {
      this.queue.push(m);
      this.wake?.();
    });
  }

  /** The next group of chunks, undefined at the end; throws DatasetAborted if the peer went away. */
  async next(): Promise<Uint8Array[] | undefined> {
    const inline = this.inline;
    if (inline) {
      this.inline = undefined;
      return inline;
    }
    this.giveBack();
    for (;;) {
      const m = this.queue.shift();
      if (m) {
        if (m.type === 'chunk') {
          let bytes = 0;
          for (const part of m.parts) bytes += part.length;
          this.lent = { stage: m.parts[0]!.buffer as ArrayBuffer, bytes };
          return m.parts;
        }
        if (m.type === 'end') {
          this.ended = true;
          return undefined;
        }
        throw new DatasetAborted(m.reason);
      }
      if (this.ended) return undefined;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }

  /** A chunk valid until the task settles: port chunks are copied, the others are already. */
  keep(chunk: Uint8Array): Uint8Array {
    return chunk.buffer === this.lent?.stage ? chunk.slice() : chunk;
  }

  /** Reads and drops the rest (a rejected instance must still be received in full). */
  async drain(): Promise<void> {
    while ((await this.next()) !== undefined);
  }

  close(): void {
    this.port?.close();
  }

  private giveBack(): void {
    if (!this.lent) return;
    const { stage, bytes } = this.lent;
    this.port!.postMessage({ type: 'ack', bytes, stage } satisfies StreamAck, [stage]);
    this.lent = undefined;
  }
}
