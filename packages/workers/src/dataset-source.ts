/**
 * The worker's view of one incoming dataset: the chunks that came with the task, then those
 * arriving on its MessagePort. Each chunk taken is acknowledged so the main thread can release
 * its backpressure budget; at most one chunk per store is held here at a time.
 */
import type { MessagePort } from 'node:worker_threads';
import type { StreamAck, StreamMessage } from './contracts.ts';

export class DatasetAborted extends Error {
  override name = 'DatasetAborted';
}

export class DatasetSource {
  private readonly inline: Uint8Array[];
  private readonly queue: StreamMessage[] = [];
  private wake: (() => void) | undefined;
  private ended: boolean;

  constructor(data: Uint8Array[], private readonly port: MessagePort | undefined) {
    this.inline = [...data];
    this.ended = port === undefined;
    port?.on('message', (m: StreamMessage) => {
      this.queue.push(m);
      this.wake?.();
    });
  }

  /** The next chunk, undefined at the end; throws DatasetAborted if the peer went away. */
  async next(): Promise<Uint8Array | undefined> {
    const local = this.inline.shift();
    if (local) return local;
    for (;;) {
      const m = this.queue.shift();
      if (m) {
        if (m.type === 'chunk') {
          this.port!.postMessage({ type: 'ack', bytes: m.data.length } satisfies StreamAck);
          return m.data;
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

  /** Reads and drops the rest (a rejected instance must still be received in full). */
  async drain(): Promise<void> {
    while ((await this.next()) !== undefined);
  }

  close(): void {
    this.port?.close();
  }
}
