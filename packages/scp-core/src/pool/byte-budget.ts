/**
 * The global budget of dataset bytes received but not yet taken by a worker (promise 3 of
 * DESIGN.md). Past the high-water mark the association that delivered the bytes stops being
 * read, unless its dataset is already running in a worker (that one is bounded by its own
 * window instead, so it always progresses and frees its slot); below the low-water mark every
 * paused association is read again.
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
  take(bytes: number, flow: FlowControl, running: boolean): boolean {
    this.inFlight += bytes;
    const over = this.inFlight > this.highWater;
    if (!running && over && !this.paused.has(flow)) {
      this.paused.add(flow);
      flow.pause('budget');
    }
    return over;
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
