/**
 * The staging buffers datasets are copied into on their way to the workers. Each stage is its
 * own ArrayBuffer, transferred to the worker (no copy) and transferred back when the worker is
 * done with it (with its ack, or with the task's result), then reused: no allocation, page
 * faults or garbage per instance. Ownership moves with the buffer, so the main thread cannot
 * refill a stage a worker still reads.
 *
 * Not a SharedArrayBuffer: V8 copies into shared memory byte by byte unless source and target
 * are 8-byte aligned alike, and PDV fragments land at any offset (measured: 255 µs per 512 KiB
 * against 13 µs into a plain ArrayBuffer).
 */
export class StagePool {
  private readonly free: ArrayBuffer[] = [];

  constructor(
    readonly stageBytes: number,
    /** How many idle stages are kept; more are left to the garbage collector. */
    private readonly maxIdle: number,
  ) {}

  acquire(): Uint8Array {
    const buffer = this.free.pop() ?? Buffer.allocUnsafeSlow(this.stageBytes).buffer;
    return new Uint8Array(buffer, 0, this.stageBytes);
  }

  /** A stage back from a worker, or one never sent. */
  recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength === this.stageBytes && this.free.length < this.maxIdle) this.free.push(buffer);
  }

  get idleStages(): number {
    return this.free.length;
  }
}
