/**
 * The machine's state, printed with the table: figures from a loaded or filling machine are not
 * comparable with earlier runs, and the reader of the table must be able to tell.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import path from 'node:path';

/**
 * Several GB of files already on the storage's tmpfs made every receiver about 2× slower
 * (docs/performance.md); the bench's own corpus takes 1.7 GB on top.
 */
const FULL_ENOUGH_TO_SKEW = 2 * 1024 ** 3;

/**
 * What one fork + exit + wait costs here, in ms: storescp --fork pays it per association. Two
 * VMs of the same size took 2.7 and 0.32 ms per fork of a Perl loop, and storescp's figures at 64
 * and 300 associations differed 1.3–1.5× between them. Shell subshells, so no exec is counted.
 */
export function forkCostMs(forks = 500): number | undefined {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `i=0; while [ $i -lt ${forks} ]; do ( : ); i=$((i+1)); done`], { stdio: 'ignore' });
  return r.status === 0 ? Number(process.hrtime.bigint() - t0) / 1e6 / forks : undefined;
}

export const loadAverage = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

/** Lines describing CPUs, load, the cost of a fork and the storage filesystem's fill before the run. */
export async function machineState(work: string): Promise<string[]> {
  const lines = [`machine: ${cpus().length} CPUs, load average ${loadAverage()} before the run`];
  const fork = forkCostMs();
  if (fork !== undefined) lines.push(`process creation: a fork + exit takes ${fork.toFixed(2)} ms (storescp --fork forks once per association)`);
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
