/**
 * The staging buffers datasets are copied into on their way to the workers. Each stage is its
 * own ArrayBuffer, transferred to the worker (no copy) and transferred back when the worker is
 * done with it (with its ack, or with the task's result), then reused: no allocation, page
 * faults or garbage per instance. Ownership moves with the buffer, so the main thread cannot
 * refill a stage a worker still reads.
 *
 * Stages come in the sizes asked for (small ones while a dataset buffers, large ones once it
 * streams), each size with its own free list.
 *
 * Not a SharedArrayBuffer: V8 copies into shared memory byte by byte unless source and target
 * are 8-byte aligned alike, and PDV fragments land at any offset (measured: 255 µs per 512 KiB
 * against 13 µs into a plain ArrayBuffer).
 */
export class StagePool {
  /** Idle stages by size; only sizes this pool handed out are kept. */
  private readonly free = new Map<number, ArrayBuffer[]>();
  private idleBytes = 0;

  constructor(
    /** How many idle bytes are kept, all sizes together; more are left to the garbage collector. */
    private readonly maxIdleBytes: number,
  ) {}

  acquire(bytes: number): Uint8Array {
    let list = this.free.get(bytes);
    if (!list) this.free.set(bytes, (list = []));
    const idle = list.pop();
    if (idle) this.idleBytes -= bytes;
    return new Uint8Array(idle ?? Buffer.allocUnsafeSlow(bytes).buffer, 0, bytes);
  }

  /** A stage back from a worker, or one never sent. */
  recycle(buffer: ArrayBuffer): void {
    const list = this.free.get(buffer.byteLength);
    if (!list || this.idleBytes + buffer.byteLength > this.maxIdleBytes) return;
    list.push(buffer);
    this.idleBytes += buffer.byteLength;
  }

  get idleStages(): number {
    let n = 0;
    for (const list of this.free.values()) n += list.length;
    return n;
  }
}
