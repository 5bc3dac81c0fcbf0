/**
 * The global budget of dataset bytes received but not yet taken by a worker (promise 3 of
 * DESIGN.md). Past the high-water mark the association that delivered the bytes stops being
 * read; below the low-water mark every paused association is read again.
 */
import type { FlowControl } from '../services/store-service.ts';

export class ByteBudget {
  inFlight = 0;
  private readonly paused = new Set<FlowControl>();

  constructor(
    private readonly highWater: number,
    private readonly lowWater: number,
  ) {}

  take(bytes: number, flow: FlowControl): void {
    this.inFlight += bytes;
    if (this.inFlight > this.highWater && !this.paused.has(flow)) {
      this.paused.add(flow);
      flow.pause();
    }
  }

  give(bytes: number): void {
    this.inFlight -= bytes;
    if (this.inFlight <= this.lowWater && this.paused.size > 0) {
      const flows = [...this.paused];
      this.paused.clear();
      for (const f of flows) f.resume();
    }
  }
}
