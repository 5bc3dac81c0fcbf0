/**
 * The global budget of dataset bytes received but not yet taken by a worker (promise 3 of
 * DESIGN.md). Past the high-water mark a dataset that waits for a worker holds its association
 * (the socket is not read); one already running is bounded by its own window instead, so it
 * always progresses and frees its slot. Below the low-water mark every held association is
 * read again.
 */
import type { FlowControl } from '../services/store-service.ts';

export class ByteBudget {
  inFlight = 0;
  private readonly paused = new Set<FlowControl>();

  constructor(
    private readonly highWater: number,
    private readonly lowWater: number,
  ) {}

  /** Counts received bytes; true when past the high-water mark. */
  take(bytes: number): boolean {
    this.inFlight += bytes;
    return this.inFlight > this.highWater;
  }

  /** Stops reading the flow until the budget is back under its low-water mark. */
  hold(flow: FlowControl): void {
    if (this.paused.has(flow)) return;
    this.paused.add(flow);
    flow.pause('budget');
  }

  give(bytes: number): void {
    this.inFlight -= bytes;
    if (this.inFlight <= this.lowWater && this.paused.size > 0) {
      const flows = [...this.paused];
      this.paused.clear();
      for (const f of flows) f.resume('budget');
    }
  }

  /** The flow's dataset got a worker, or was refused: it must be read on (to its end). */
  release(flow: FlowControl): void {
    if (this.paused.delete(flow)) flow.resume('budget');
  }
}
