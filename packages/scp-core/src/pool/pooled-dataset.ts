/**
 * One C-STORE's dataset on its way to a worker. Fragments are copied once into staging buffers
 * of `stageBytes` (their own ArrayBuffers, so they transfer to the worker without another
 * copy). It asks for a worker slot one event-loop turn after its command: a dataset that arrived
 * whole by then goes with its task, a larger one streams the rest over a MessagePort,
 * acknowledged per chunk. So every dataset is either running or waiting under the bounded wait,
 * and none can hold budget bytes without a deadline.
 */
import { MessageChannel, type MessagePort, type TransferListItem } from 'node:worker_threads';
import { Status, type StoreResult, type StoreTask, type StreamAck, type StreamMessage } from '@storescp/workers/contracts';
import type { FlowControl, IncomingDataset, StoreRequest } from '../services/store-service.ts';
import type { StorePool } from './store-pool.ts';

type State = 'buffering' | 'waiting' | 'running' | 'done';

/** A running dataset may be this many staging buffers ahead of its worker before its socket waits. */
const WINDOW_STAGES = 4;

export class PooledDataset implements IncomingDataset {
  readonly result: Promise<StoreResult>;
  private resolveResult!: (r: StoreResult) => void;
  private state: State = 'buffering';
  private ended = false;
  private staging: Buffer | undefined;
  private stagingFill = 0;
  private ready: Uint8Array[] = [];
  private port: MessagePort | undefined;
  /** Budget bytes this dataset holds; given back as the worker acks them, the rest at the end. */
  private held = 0;
  private earlyResult: StoreResult | undefined;
  private waitTimer: NodeJS.Timeout | undefined;
  /** Paused for its own window: a running dataset the worker consumes slower than it arrives. */
  private windowPaused = false;

  constructor(
    private readonly pool: StorePool,
    private readonly request: StoreRequest,
    private readonly flow: FlowControl,
  ) {
    this.result = new Promise((r) => (this.resolveResult = r));
    // Fragments that arrived with the command are read in this turn; then it queues.
    setImmediate(() => {
      if (this.state === 'buffering') this.enqueue();
    });
  }

  write(chunk: Uint8Array): void {
    if (this.state === 'done') return;
    this.pool.budget.take(chunk.length, this.flow, this.state === 'running');
    this.held += chunk.length;
    if (this.state === 'running' && !this.windowPaused && this.held > this.pool.options.stageBytes * WINDOW_STAGES) {
      this.windowPaused = true;
      this.flow.pause('window');
    }
    const size = this.pool.options.stageBytes;
    let p = 0;
    while (p < chunk.length) {
      this.staging ??= Buffer.allocUnsafeSlow(size);
      const n = Math.min(size - this.stagingFill, chunk.length - p);
      this.staging.set(chunk.subarray(p, p + n), this.stagingFill);
      this.stagingFill += n;
      p += n;
      if (this.stagingFill === size) this.flushStaging();
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.earlyResult) return this.resolveResult(this.earlyResult);
    if (this.state === 'done') return;
    this.flushStaging();
    if (this.state === 'buffering') this.enqueue();
    else if (this.state === 'running') this.post({ type: 'end' });
  }

  abort(reason: string): void {
    if (this.state === 'running') {
      if (!this.ended) this.post({ type: 'abort', reason });
      this.ended = true;
      return; // the worker answers "aborted" and finish() runs then
    }
    this.ended = true;
    this.pool.unqueue(this);
    this.finish({ status: Status.ProcessingFailure, comment: 'association aborted', aborted: true });
  }

  private flushStaging(): void {
    if (!this.staging || this.stagingFill === 0) return;
    this.ready.push(new Uint8Array(this.staging.buffer, this.staging.byteOffset, this.stagingFill));
    this.staging = undefined;
    this.stagingFill = 0;
    if (this.state === 'running') this.sendReady();
  }

  private enqueue(): void {
    this.state = 'waiting';
    this.pool.enqueue(this);
  }

  /** Called by the pool when a worker slot is ours. */
  start(): void {
    clearTimeout(this.waitTimer);
    this.state = 'running';
    this.pool.budget.release(this.flow);
    const data = this.ready;
    this.ready = [];
    let port2: MessagePort | undefined;
    if (!this.ended) {
      const channel = new MessageChannel();
      this.port = channel.port1;
      port2 = channel.port2;
      this.port.on('message', (m: StreamAck) => this.giveBack(m.bytes));
    }
    // What goes with the task is the worker's from now on: only port chunks wait for acks (else a
    // dataset that buffered past its window while waiting would pause itself for good).
    this.giveBack(data.reduce((n, d) => n + d.length, 0));
    const task: StoreTask = { ...this.request, data, ...(port2 ? { port: port2 } : {}) };
    const transfer: TransferListItem[] = [...data.map((d) => d.buffer as ArrayBuffer), ...(port2 ? [port2] : [])];
    this.pool.run(task, transfer).then(
      (result) => this.finish(result),
      (err) => {
        this.pool.log.error('pool.worker-failed', { error: String((err as Error)?.message ?? err), sopInstanceUid: this.request.affectedSopInstanceUid });
        this.finish({ status: Status.OutOfResources, comment: 'worker failed; retry' });
      },
    );
  }

  /** Called by the pool when no slot came within the bounded wait. */
  startWaitTimer(ms: number): void {
    this.waitTimer = setTimeout(() => {
      this.pool.unqueue(this);
      this.reject(Status.OutOfResources, 'storage busy; retry later');
    }, ms);
    this.waitTimer.unref();
  }

  /** Answer without storing; the answer waits for the last fragment, as DIMSE expects. */
  reject(status: StoreResult['status'], comment: string): void {
    this.ready = [];
    this.staging = undefined;
    this.finish({ status, comment } as StoreResult);
  }

  private sendReady(): void {
    for (const data of this.ready) this.post({ type: 'chunk', data }, [data.buffer as ArrayBuffer]);
    this.ready = [];
  }

  private post(m: StreamMessage, transfer: ArrayBuffer[] = []): void {
    this.port?.postMessage(m, transfer);
  }

  private giveBack(bytes: number): void {
    const n = Math.min(bytes, this.held);
    this.held -= n;
    this.pool.budget.give(n);
    if (this.windowPaused && this.held <= (this.pool.options.stageBytes * WINDOW_STAGES) / 2) {
      this.windowPaused = false;
      this.flow.resume('window');
    }
  }

  private finish(result: StoreResult): void {
    clearTimeout(this.waitTimer);
    const wasRunning = this.state === 'running';
    this.state = 'done';
    this.giveBack(this.held);
    // Whatever is left of the dataset must still be read (and dropped) to reach its end.
    this.pool.budget.release(this.flow);
    this.port?.close();
    this.port = undefined;
    if (wasRunning) this.pool.releaseSlot();
    if (this.ended) this.resolveResult(result);
    else this.earlyResult = result;
  }
}
