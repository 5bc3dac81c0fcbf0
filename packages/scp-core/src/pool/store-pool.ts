/**
 * The Piscina pool behind the association: dataset parsing, keying and upload happen in its
 * worker threads. Admission is ours, not Piscina's queue: at most `threads × tasksPerThread`
 * stores run at once, at most `maxWaiting` wait (longer than `waitTimeoutMs` is answered 0xA700),
 * the byte budget pauses sockets so nothing buffers without limit, and the read gate leaves a new
 * dataset in its socket while as many wait as run.
 */
import { Piscina } from 'piscina';
import type { TransferListItem } from 'node:worker_threads';
import { POOL_WORKER_URL, Status, type BatchManifest, type OpenMarker, type SinkConfig, type StoreOutcome, type StoreResult, type StoreTask } from '@storescp/workers';
import type { FlowControl, IncomingDataset, StoreRequest, StoreService } from '../services/store-service.ts';
import type { BatchWriter } from '../batch/batch-tracker.ts';
import type { Logger } from '../log.ts';
import { readOnScrape, type ScpMetrics } from '../metrics/registry.ts';
import { ReadGate } from './read-gate.ts';
import { ByteBudget } from './byte-budget.ts';
import { PooledDataset } from './pooled-dataset.ts';
import { StagePool } from './stage-pool.ts';

export interface StorePoolOptions {
  sink: SinkConfig;
  threads: number;
  /** Stores one worker interleaves (they mostly wait on I/O). */
  tasksPerThread: number;
  /** Bytes received but not yet taken by workers before sockets are paused. */
  budgetBytes: number;
  maxWaiting: number;
  waitTimeoutMs: number;
  /**
   * Size of the staging buffers a dataset is copied into on the main thread while it buffers.
   * Small: with hundreds of associations each buffering dataset holds one partly filled stage.
   */
  stageBytes: number;
  /** Size of the staging buffers of a dataset streaming to its worker (fewer messages per MB). */
  streamStageBytes: number;
}

/**
 * The pool's own tuning. Threads, budget and wait timeout are the operator's (`--worker-threads`,
 * `--memory-budget-mb`, `--store-wait-timeout`) and come from the configuration.
 */
export const POOL_TUNING = {
  tasksPerThread: 8,
  maxWaiting: 1000,
  stageBytes: 256 * 1024,
  streamStageBytes: 2 * 1024 * 1024,
} satisfies Partial<StorePoolOptions>;

export class StorePool implements StoreService, BatchWriter {
  readonly budget: ByteBudget;
  readonly stages: StagePool;
  readonly readGate: ReadGate;
  private readonly piscina: Piscina;
  private readonly maxRunning: number;
  private running = 0;
  private readonly waiting: PooledDataset[] = [];

  constructor(
    readonly options: StorePoolOptions,
    readonly log: Logger,
    private readonly metrics: ScpMetrics,
  ) {
    this.budget = new ByteBudget(options.budgetBytes, options.budgetBytes / 2);
    this.stages = new StagePool(options.budgetBytes);
    this.maxRunning = options.threads * options.tasksPerThread;
    this.readGate = new ReadGate(() => this.backlogged);
    this.piscina = new Piscina({
      filename: POOL_WORKER_URL.href,
      minThreads: options.threads,
      maxThreads: options.threads,
      concurrentTasksPerWorker: options.tasksPerThread,
      idleTimeout: Infinity,
      workerData: { sink: options.sink },
    });
    this.piscina.on('error', (err: unknown) => log.error('pool.error', { error: String(err) }));
    // Read when scraped: the budget changes with every chunk, the queue and slots with every store.
    readOnScrape(metrics.bytesInFlight, () => this.budget.inFlight);
    readOnScrape(metrics.poolQueueDepth, () => this.waiting.length);
    readOnScrape(metrics.poolUtilization, () => this.running / this.maxRunning);
  }

  begin(request: StoreRequest, flow: FlowControl): IncomingDataset {
    return new PooledDataset(this, request, flow);
  }

  /** As many wait as run: each slot that frees has a dataset ready for it. */
  get backlogged(): boolean {
    return this.waiting.length >= this.maxRunning;
  }

  countSentAhead(delta: number): void {
    if (delta > 0) this.budget.take(delta);
    else this.budget.give(-delta);
  }

  enqueue(ds: PooledDataset): void {
    if (this.running < this.maxRunning) {
      this.running++;
      ds.start();
    } else if (this.waiting.length >= this.options.maxWaiting) {
      ds.reject(Status.OutOfResources, 'too many stores waiting; retry later');
    } else {
      this.waiting.push(ds);
      ds.startWaitTimer(this.options.waitTimeoutMs);
    }
  }

  unqueue(ds: PooledDataset): void {
    const i = this.waiting.indexOf(ds);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  releaseSlot(): void {
    const next = this.waiting.shift();
    if (next) next.start();
    else this.running--;
    this.readGate.next();
  }

  async run(task: StoreTask, transferList: TransferListItem[]): Promise<StoreResult> {
    const { result, storageSeconds, stages } = (await this.piscina.run(task, { name: 'store', transferList })) as StoreOutcome;
    for (const stage of stages) this.stages.recycle(stage);
    if (storageSeconds !== undefined) this.metrics.storageWriteLatency.observe(storageSeconds);
    if (result.status === Status.OutOfResources) this.metrics.storageWriteErrors.inc();
    return result;
  }

  writeOpenMarker(marker: OpenMarker): Promise<void> {
    return this.piscina.run(marker, { name: 'writeOpenMarker' });
  }

  closeBatch(manifest: BatchManifest): Promise<void> {
    return this.piscina.run(manifest, { name: 'closeBatch' });
  }

  deleteInstance(key: string): Promise<void> {
    return this.piscina.run(key, { name: 'deleteInstance' });
  }

  /** Temporary files a killed predecessor left in file storage; how many were removed. */
  removeStaleTemporaries(): Promise<number> {
    return this.piscina.run(null, { name: 'removeStaleTemporaries' });
  }

  /** The worker threads (operations and fault tests: a thread can be terminated to see the pool recover). */
  get threads(): readonly import('node:worker_threads').Worker[] {
    return this.piscina.threads;
  }

  async close(): Promise<void> {
    await this.piscina.destroy();
  }
}
