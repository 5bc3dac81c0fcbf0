/**
 * Synthetic instances for senders that need no files (the load generator, k6): each `next()` is
 * a new instance with fresh UIDs, its dataset given as parts that share one read-only frame, so
 * a 200 MB instance costs a few kilobytes of memory.
 */
import { EXPLICIT_VR_LITTLE_ENDIAN, ctInstance, framesFor, gradientFrame, multiFrameInstance, newStudy, type Study } from './instances.ts';

export interface OutgoingInstance {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** The dataset, in order; send them back to back. Shared buffers: never modify. */
  parts: Uint8Array[];
  length: number;
}

export class SyntheticSource {
  private readonly frames: number;
  private readonly rows: number;
  private study: Study = newStudy(1);
  private count = 0;

  /** `datasetBytes` ≤ 0.5 MB gives CT slices of fewer rows; more gives multi-frame instances. */
  constructor(
    datasetBytes: number,
    private readonly instancesPerStudy = 100,
  ) {
    ({ frames: this.frames, rows: this.rows } = framesFor(datasetBytes));
  }

  next(): OutgoingInstance {
    if (this.count > 0 && this.count % this.instancesPerStudy === 0) this.study = newStudy(this.study.number + 1);
    this.count++;
    const inst = this.frames === 1 && this.rows <= 512 ? ctInstance(this.study, this.count, this.rows) : multiFrameInstance(this.frames, this.study);
    const frame = gradientFrame().subarray(0, inst.frameBytes);
    return {
      sopClassUid: inst.sopClassUid,
      sopInstanceUid: inst.sopInstanceUid,
      transferSyntaxUid: EXPLICIT_VR_LITTLE_ENDIAN,
      parts: [inst.head, ...Array<Uint8Array>(inst.frames).fill(frame)],
      length: inst.length,
    };
  }
}
