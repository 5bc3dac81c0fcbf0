/**
 * Soak (issue 6, not in CI): our SCP (the production bundle, with the container's Node flags)
 * under mixed load for a long time, RSS sampled every 10 s. It passes when memory is flat (the
 * least-squares slope of RSS over the second half of the run is below 1 MB per minute) and
 * nothing failed.
 *
 *   node --import tsx load/src/soak/cli.ts [--minutes 30] [--associations 100] [--per-association 200]
 *
 * Mixed load: 90 % of the associations send 0.5 MB instances, 10 % send 5 MB ones; each sends
 * --per-association instances (a study), releases, and opens the next, as modalities do, so
 * batches close and association state comes and goes all run long. (One association held for
 * the whole run instead keeps up to 5,000 manifest entries until its batch rotates: growth by
 * design, bounded, that a 30-minute window cannot tell from a leak.) Stored files older than
 * 5 s (and their emptied directories) are deleted as it runs, so a tmpfs holds a long run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CONTAINER_NODE_FLAGS, REPO } from '../bench/receivers.ts';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    associations: { type: 'string', default: '100' },
    'per-association': { type: 'string', default: '200' },
    work: { type: 'string', default: '/dev/shm/storescp-soak' },
  },
});
const minutes = Number(values.minutes);
const associations = Number(values.associations);
const perAssociation = values['per-association']!;
const storage = values.work!;
const port = 11300 + Math.floor(Math.random() * 500);

rmSync(storage, { recursive: true, force: true });
execFileSync(process.execPath, [join(REPO, 'packages/scp-core/scripts/build.mjs')], { stdio: 'inherit' });
const scp = spawn(process.execPath, [...CONTAINER_NODE_FLAGS, join(REPO, 'packages/scp-core/dist/cli.mjs'), '--host', '127.0.0.1', '--port', String(port), '--http-port', '-1', '--storage', `file://${storage}`, '--log-level', 'warn', '--max-associations', String(associations + 50)], { stdio: 'inherit' });
// Never leave the SCP or a load generator running, however this process ends.
const children = [scp];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(1));
await new Promise((r) => setTimeout(r, 1500));

const generator = (count: number, sizeMb: number) =>
  new Promise<Record<string, unknown>>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'load/src/generator/cli.ts'), '--port', String(port), '-c', String(count), '--size', String(sizeMb), '-d', String(minutes * 60), '--per-association', perAssociation, '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    // Exit 1 means some C-STOREs failed: the JSON still says which, and the summary counts them.
    child.on('exit', (code) => (code === 0 || code === 1 ? resolve(JSON.parse(out)) : reject(new Error(`generator exited ${code}`))));
  });

const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${scp.pid}/status`, 'utf8'))![1]) / 1024;
const samples: { t: number; rss: number }[] = [];
const started = Date.now();
const sampler = setInterval(() => {
  samples.push({ t: (Date.now() - started) / 60_000, rss: rssMb() });
  const last = samples.at(-1)!;
  process.stderr.write(`[${last.t.toFixed(1)} min] RSS ${last.rss.toFixed(0)} MB\n`);
}, 10_000);
// At ~350 MB/s a tmpfs fills RAM fast: keep only the last few seconds of objects.
const pruner = setInterval(() => prune(storage, Date.now() - 5_000), 3_000);

const small = Math.round(associations * 0.9);
const results = await Promise.all([generator(small, 0.5), generator(associations - small, 5)]);
clearInterval(sampler);
clearInterval(pruner);
scp.kill('SIGTERM');

const half = samples.filter((s) => s.t >= minutes / 2);
const slope = leastSquaresSlope(half);
const failures = results.reduce((n, r) => n + Number(r['failures'] ?? 0), 0);
const summary = {
  minutes,
  associations,
  perAssociation: Number(perAssociation),
  instances: results.reduce((n, r) => n + Number(r['succeeded'] ?? 0), 0),
  failures,
  statuses: results.map((r) => r['statuses']),
  errors: results.map((r) => r['errors']),
  mbPerS: results.reduce((n, r) => n + Number(r['mbPerS'] ?? 0), 0).toFixed(1),
  rssMb: { first: samples[0]?.rss.toFixed(0), min: Math.min(...samples.map((s) => s.rss)).toFixed(0), max: Math.max(...samples.map((s) => s.rss)).toFixed(0), last: samples.at(-1)?.rss.toFixed(0) },
  rssEachMinuteMb: samples.filter((_, i) => i % 6 === 5).map((s) => Math.round(s.rss)),
  secondHalfSlopeMbPerMin: slope.toFixed(3),
  passed: failures === 0 && slope < 1,
};
process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
process.exit(summary.passed ? 0 : 1);

function leastSquaresSlope(points: { t: number; rss: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((a, p) => a + p.t, 0) / n;
  const mr = points.reduce((a, p) => a + p.rss, 0) / n;
  const num = points.reduce((a, p) => a + (p.t - mt) * (p.rss - mr), 0);
  const den = points.reduce((a, p) => a + (p.t - mt) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/** Deletes stored files last written before `before` (ms); the soak measures memory, not disk. */
function prune(dir: string, before: number): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) {
      prune(p, before);
      // Emptied series directories go too (a tmpfs counts inodes); the SCP makes them again if needed.
      if (st.mtimeMs < before && readdirSync(p).length === 0) rmSync(p, { recursive: true, force: true });
    } else if (p.endsWith('.dcm') && st.mtimeMs < before) rmSync(p, { force: true });
  }
}
