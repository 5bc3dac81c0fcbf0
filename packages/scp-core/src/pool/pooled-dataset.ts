/**
 * One C-STORE's dataset on its way to a worker. Its bytes are gathered in the pool's reusable
 * stages, which are transferred to the worker. Once a dataset streams, its current stage is also
 * the socket's read target (readTarget), so fragments land in place and are kept as views around
 * the PDU headers between them; fragments read elsewhere (the shared read buffer, TLS) are
 * copied in.
 *
 * A dataset of up to WHOLE_BYTES goes whole with its task: one message, no port. A larger one
 * asks for a worker slot once it passes that size (or at once when the byte budget runs out),
 * and then streams the rest over a MessagePort, a stage per message, each acknowledged once the
 * worker is done with it. So a dataset holds at most WHOLE_BYTES before it is running or
 * waiting under the bounded wait, and none can hold budget bytes the pool cannot reclaim.
 *
 * A stage sent with the task comes back with its result; a streamed one with its ack; one never
 * sent goes back to the pool when the dataset ends without a worker, or, if the socket still
 * reads into it, once it no longer does (readDone).
 *
 * Port messages wait for a microtask: a streamed stage may hold the rest of the read being parsed
 * (the next command), and a transferred buffer is gone from this thread at once. The task itself
 * goes at once: it only carries stages filled by copying, as a dataset lends none before it runs.
 */
import { MessageChannel, type MessagePort, type TransferListItem } from 'node:worker_threads';
import { buffersOf } from '@storescp/workers/bytes';
import { Status, type StoreResult, type StoreTask, type StreamAck, type StreamMessage } from '@storescp/workers/contracts';
import type { FlowControl, IncomingDataset, StoreRequest } from '../services/store-service.ts';
import type { StorePool } from './store-pool.ts';

type State = 'buffering' | 'waiting' | 'running' | 'done';

/** Datasets up to this size (most CT, MR, CR instances) are sent whole, in one message. */
const WHOLE_BYTES = 1024 * 1024;
/** Less free space than this in a stage is not worth a read: a fresh stage is taken instead. */
const MIN_READ_BYTES = 64 * 1024;
/**
 * A running dataset may be this many stream stages ahead of its worker before its socket waits;
 * it reads again at half that. Three: with a window of one 2 MiB stage the socket stopped and
 * restarted every few stages (multi-frame instances at 2 associations, three same-run rounds:
 * 1047-1149 -> 1257-1311 MB/s, CPU 0.76-0.84 -> 0.66-0.74 s/GB). In stages, not bytes: the stage
 * being filled is sent only when full, so it must fit under the half window, or a paused socket
 * would wait for an ack that never comes.
 */
const WINDOW_STAGES = 3;

export class PooledDataset implements IncomingDataset {
  readonly result: Promise<StoreResult>;
  private resolveResult!: (r: StoreResult) => void;
  private state: State = 'buffering';
  private ended = false;
  /** The stage being filled, and how much of it is used (dataset bytes and the gaps between them). */
  private staging: Uint8Array | undefined;
  private stagingFill = 0;
  /** The dataset's bytes in the stage being filled: views, in order. */
  private stagingParts: Uint8Array[] = [];
  /** The socket's next read lands in the staging buffer: it may not be recycled or reset. */
  private lent = false;
  /** Parts of filled stages waiting for a worker (a running dataset posts each stage as it fills). */
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
    pool.readGate.enter(flow);
  }

  write(chunk: Uint8Array): void {
    if (this.state === 'done') return;
    const overBudget = this.pool.budget.take(chunk.length);
    this.held += chunk.length;
    if (this.staging && chunk.buffer === this.staging.buffer && chunk.byteOffset >= this.stagingFill) {
      this.addPart(chunk.byteOffset, chunk.length);
    } else {
      for (let p = 0; p < chunk.length; ) {
        const staging = (this.staging ??= this.acquireStage());
        const n = Math.min(staging.length - this.stagingFill, chunk.length - p);
        staging.set(chunk.subarray(p, p + n), this.stagingFill);
        this.addPart(this.stagingFill, n);
        p += n;
      }
    }
    if (this.state === 'buffering' && (overBudget || this.held > WHOLE_BYTES)) this.enqueue();
    // Decided after enqueue, which may start it: only a dataset still waiting holds its socket.
    if (this.state === 'waiting' && overBudget) this.pool.budget.hold(this.flow);
    else if (this.state === 'running' && !this.windowPaused && this.held > this.windowBytes) {
      this.windowPaused = true;
      this.flow.pause('window');
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

  private get windowBytes(): number {
    return WINDOW_STAGES * this.pool.options.streamStageBytes;
  }

  /**
   * Only a streaming dataset lends its stage. Measured in two same-run A/Bs: multi-frame objects
   * +8 to +15 % throughput at 7-15 % less CPU; 0.5 MB CT no faster at 5-8 % more CPU when whole
   * datasets lent too, as reads into a 256 KiB stage's tail are smaller than into the 1 MiB shared
   * buffer.
   */
  readTarget(): Uint8Array | undefined {
    if (this.state !== 'running' || this.ended) return undefined;
    if (this.staging && this.staging.length - this.stagingFill < MIN_READ_BYTES) this.flushStaging();
    const staging = (this.staging ??= this.acquireStage());
    this.lent = true;
    return staging.subarray(this.stagingFill);
  }

  readDone(): void {
    this.lent = false;
    if (this.state === 'done') this.recycleUnsent();
  }

  private acquireStage(): Uint8Array {
    return this.pool.stages.acquire(this.state === 'running' ? this.pool.options.streamStageBytes : this.pool.options.stageBytes);
  }

  /** `length` dataset bytes at `offset` of the staging buffer (joined to the previous part when adjacent). */
  private addPart(offset: number, length: number): void {
    const staging = this.staging!;
    const last = this.stagingParts.at(-1);
    if (last && last.byteOffset + last.length === offset) this.stagingParts[this.stagingParts.length - 1] = staging.subarray(last.byteOffset, offset + length);
    else this.stagingParts.push(staging.subarray(offset, offset + length));
    this.stagingFill = offset + length;
    if (this.stagingFill === staging.length) this.flushStaging();
  }

  private flushStaging(): void {
    if (!this.staging) return;
    if (this.stagingParts.length === 0) {
      // Only PDU headers landed here, all parsed already: the stage is as good as new.
      this.stagingFill = 0;
      return;
    }
    const parts = this.stagingParts;
    this.stagingParts = [];
    this.staging = undefined;
    this.stagingFill = 0;
    if (this.state === 'running') this.post({ type: 'chunk', parts }, [parts[0]!.buffer as ArrayBuffer]);
    else this.ready.push(...parts);
  }

  private enqueue(): void {
    this.state = 'waiting';
    this.pool.enqueue(this);
    this.pool.readGate.leave(this.flow);
  }

  /** Called by the pool when a worker slot is ours. */
  start(): void {
    clearTimeout(this.waitTimer);
    this.state = 'running';
    this.pool.budget.release(this.flow);
    const data = this.ready;
    // Nothing was acked before the start: what it holds is the sent stages plus the staging buffer.
    let sent = this.held;
    for (const part of this.stagingParts) sent -= part.length;
    this.ready = [];
    let port2: MessagePort | undefined;
    if (!this.ended) {
      const channel = new MessageChannel();
      this.port = channel.port1;
      port2 = channel.port2;
      this.port.on('message', (m: StreamAck) => this.onAck(m));
    }
    // What goes with the task is the worker's from now on: only port chunks wait for acks (else a
    // dataset that buffered past its window while waiting would pause itself for good).
    this.giveBack(sent);
    const task: StoreTask = { ...this.request, data, ...(port2 ? { port: port2 } : {}) };
    const transfer: TransferListItem[] = [...buffersOf(data), ...(port2 ? [port2] : [])];
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
    this.finish({ status, comment } as StoreResult);
  }

  private post(m: StreamMessage, transfer: ArrayBuffer[] = []): void {
    const port = this.port;
    if (port) queueMicrotask(() => port.postMessage(m, transfer));
  }

  private onAck(m: StreamAck): void {
    this.pool.stages.recycle(m.stage);
    this.giveBack(m.bytes);
  }

  private giveBack(bytes: number): void {
    const n = Math.min(bytes, this.held);
    this.held -= n;
    this.pool.budget.give(n);
    if (this.windowPaused && this.held <= this.windowBytes / 2) {
      this.windowPaused = false;
      this.flow.resume('window');
    }
  }

  /** Stages never sent go back to the pool (the worker returns the others); one the socket still reads into waits for readDone(). */
  private recycleUnsent(): void {
    for (const stage of buffersOf(this.ready)) this.pool.stages.recycle(stage);
    this.ready = [];
    if (this.lent) return;
    if (this.staging) this.pool.stages.recycle(this.staging.buffer as ArrayBuffer);
    this.staging = undefined;
    this.stagingFill = 0;
    this.stagingParts = [];
  }

  private finish(result: StoreResult): void {
    clearTimeout(this.waitTimer);
    const wasRunning = this.state === 'running';
    this.state = 'done';
    this.port?.close();
    this.port = undefined;
    this.recycleUnsent();
    this.giveBack(this.held);
    // Whatever is left of the dataset must still be read (and dropped) to reach its end.
    this.pool.budget.release(this.flow);
    if (wasRunning) this.pool.releaseSlot();
    else this.pool.readGate.leave(this.flow);
    if (this.ended) this.resolveResult(result);
    else this.earlyResult = result;
  }
}
