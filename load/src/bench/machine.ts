/**
 * The machine's state, printed with the table: figures from a loaded or filling machine are not
 * comparable with earlier runs, and the reader of the table must be able to tell.
 */
import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';

/**
 * Several GB of files already on the storage's tmpfs made every receiver about 2× slower
 * (docs/performance.md); the bench's own corpus takes 1.7 GB on top.
 */
const FULL_ENOUGH_TO_SKEW = 2 * 1024 ** 3;

export const loadAverage = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

/** Lines describing CPUs, load and the storage filesystem's fill before the run. */
export async function machineState(work: string): Promise<string[]> {
  const lines = [`machine: ${cpus().length} CPUs, load average ${loadAverage()} before the run`];
  let dir = path.resolve(work);
  while (!existsSync(dir)) dir = path.dirname(dir);
  const fs = await statfs(dir);
  const used = (fs.blocks - fs.bfree) * fs.bsize;
  const gb = (n: number) => (n / 1024 ** 3).toFixed(1);
  lines.push(`storage filesystem (${dir}): ${gb(used)} of ${gb(fs.blocks * fs.bsize)} GB used before the corpus is written`);
  if (used > FULL_ENOUGH_TO_SKEW) {
    lines.push(`WARNING: files left on ${dir} by other runs can slow every receiver about 2×; delete them and run again for comparable figures`);
  }
  return lines;
}
