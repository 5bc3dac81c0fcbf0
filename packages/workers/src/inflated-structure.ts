/**
 * The structure check for a deflated dataset (PS3.5 A.5): the whole dataset is one raw deflate
 * stream, so it is inflated as it arrives and the inflated bytes are walked (explicit VR little
 * endian). Inflating runs on libuv's thread pool and is asynchronous, so pushes are awaited; its
 * output is walked and dropped, never held. A stream that is cut short or corrupt is malformed.
 */
import { once } from 'node:events';
import { createInflateRaw, type InflateRaw } from 'node:zlib';
import { DatasetMalformed, DatasetStructure } from './dataset-structure.ts';
import { TransferSyntax } from './transfer-syntaxes.ts';

export class InflatedStructure {
  private readonly inflater: InflateRaw = createInflateRaw();
  private readonly walk = new DatasetStructure(TransferSyntax.ExplicitVRLittleEndian);
  private error: Error | undefined;

  constructor() {
    this.inflater.on('data', (inflated: Buffer) => {
      if (this.error) return;
      try {
        this.walk.push(inflated);
      } catch (err) {
        this.error = err as Error;
      }
    });
    this.inflater.on('error', (err) => (this.error ??= new DatasetMalformed(`deflate stream: ${err.message}`)));
  }

  async push(chunk: Uint8Array): Promise<void> {
    // A copy: the chunk's staging buffer goes back to the main thread while zlib may still read it.
    const accepted = this.inflater.write(Buffer.from(chunk));
    if (!accepted && !this.error) await once(this.inflater, 'drain').catch(() => {});
    this.check();
  }

  async end(): Promise<void> {
    this.check();
    this.inflater.end();
    await once(this.inflater, 'end').catch(() => {});
    this.check();
    this.walk.end();
  }

  close(): void {
    this.inflater.destroy();
  }

  private check(): void {
    if (this.error) throw this.error;
  }
}
