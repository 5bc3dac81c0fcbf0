/** The run's result as the table people read and the JSON scripts read. */
import type { LoadResult } from './run.ts';
import type { HoldResult } from './hold.ts';

const f = (n: number, digits = 1) => n.toFixed(digits);

export function loadTable(r: LoadResult): string {
  const rows: [string, string][] = [
    ['associations', String(r.associations)],
    ['instances', `${r.instances} sent, ${r.succeeded} stored, ${r.failures} failed`],
    ['elapsed', `${f(r.elapsedS, 2)} s`],
    ['throughput', `${f(r.instancesPerS)} instances/s, ${f(r.mbPerS)} MB/s`],
    ['C-STORE latency', `p50 ${f(r.latencyMs.p50, 2)} ms, p90 ${f(r.latencyMs.p90, 2)} ms, p99 ${f(r.latencyMs.p99, 2)} ms, max ${f(r.latencyMs.max, 2)} ms`],
    ['association setup', `p50 ${f(r.setupMs.p50, 2)} ms, p99 ${f(r.setupMs.p99, 2)} ms, max ${f(r.setupMs.max, 2)} ms`],
    ['generator CPU', `${f(r.cpuS, 2)} s (${f(r.elapsedS > 0 ? (100 * r.cpuS) / r.elapsedS : 0, 0)}% of one core)`],
    ['DIMSE statuses', Object.entries(r.statuses).map(([s, n]) => `${s}: ${n}`).join(', ') || '(none)'],
    ...Object.entries(r.errors).map(([reason, n]): [string, string] => ['failed', `${n} × ${reason}`]),
  ];
  return table(rows);
}

export function holdTable(r: HoldResult): string {
  return table([
    ['associations held', `${r.held} of ${r.requested}`],
    ['C-ECHO answered', String(r.echoed)],
    ['association setup', `p50 ${f(r.setupMs.p50, 2)} ms, p99 ${f(r.setupMs.p99, 2)} ms, max ${f(r.setupMs.max, 2)} ms`],
    ...Object.entries(r.errors).map(([reason, n]): [string, string] => ['failed', `${n} × ${reason}`]),
  ]);
}

function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
