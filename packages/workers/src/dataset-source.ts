/**
 * The worker's view of one incoming dataset: the chunks that came with the task, then those
 * arriving on its MessagePort. Each chunk is the main thread's staging buffer, transferred: one
 * that came with the task is returned with the outcome; one from the port is valid only until
 * the next call to next(), which sends it back with its ack (the main thread reuses it and
 * releases its backpressure budget). keep() gives a chunk that outlives that.
 */
import type { MessagePort } from 'node:worker_threads';
import type { StreamAck, StreamMessage } from './contracts.ts';

export class DatasetAborted extends Error {
  override name = 'DatasetAborted';
}

export class DatasetSource {
  private readonly inline: Uint8Array[];
  private inlineAt = 0;
  private readonly queue: StreamMessage[] = [];
  private wake: (() => void) | undefined;
  private ended: boolean;
  /** The port chunk last returned, acknowledged on the next call. */
  private lent: Uint8Array | undefined;

  constructor(data: Uint8Array[], private readonly port: MessagePort | undefined) {
    this.inline = data;
    this.ended = port === undefined;
    port?.on('message', (m: StreamMessage) => {
      this.queue.push(m);
      this.wake?.();
    });
  }

  /** The next chunk, undefined at the end; throws DatasetAborted if the peer went away. */
  async next(): Promise<Uint8Array | undefined> {
    if (this.inlineAt < this.inline.length) return this.inline[this.inlineAt++];
    this.giveBack();
    for (;;) {
      const m = this.queue.shift();
      if (m) {
        if (m.type === 'chunk') return (this.lent = m.data);
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
    return chunk === this.lent ? chunk.slice() : chunk;
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
    const stage = this.lent.buffer as ArrayBuffer;
    this.port!.postMessage({ type: 'ack', bytes: this.lent.length, stage } satisfies StreamAck, [stage]);
    this.lent = undefined;
  }
}
