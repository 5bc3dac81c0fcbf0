/** Medians over rounds, as one table with each figure's ratio to `storescp --fork` in the same scenario. */
import type { Measurement } from './measure.ts';
import { STORESCP_FORK } from './receivers.ts';

const median = (xs: number[]): number => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

type Numeric = { [K in keyof Measurement]-?: Measurement[K] extends number | undefined ? K : never }[keyof Measurement];

/** One Measurement per (scenario, receiver): the median of each figure over its rounds. */
export function medians(all: Measurement[]): Measurement[] {
  const groups = new Map<string, Measurement[]>();
  for (const m of all) groups.set(`${m.scenario}\0${m.receiver}`, [...(groups.get(`${m.scenario}\0${m.receiver}`) ?? []), m]);
  return [...groups.values()].map((ms) => {
    const out: Measurement = { ...ms[0]!, failures: 0, cpuS: 0, peakRssMb: 0 };
    for (const k of Object.keys(ms[0]!) as (keyof Measurement)[]) {
      if (typeof ms[0]![k] === 'number') out[k as Numeric] = median(ms.map((m) => m[k as Numeric] ?? NaN));
    }
    const errors = ms.map((m) => m.error).filter(Boolean);
    if (errors.length) out.error = errors.join('; ');
    return out;
  });
}

const num = (n: number | undefined, digits = 0) => (n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));

export function benchTable(rows: Measurement[]): string {
  const reference = (scenario: string) => rows.find((r) => r.scenario === scenario && r.receiver === STORESCP_FORK.name);
  const header = ['scenario', 'receiver', 'MB/s', '× storescp', 'inst/s', 'p50 ms', 'p99 ms', 'failed', 'CPU s', 'CPU s/GB', 'sender CPU s/GB', 'peak RSS MB', 'PSS MB'];
  const body = rows.map((r) => {
    const ref = reference(r.scenario);
    // Store scenarios compare throughput; idle ones compare PSS (lower is better there), because
    // summed RSS counts the pages forked storescp processes share once per process.
    const ratio = r.mbPerS !== undefined ? (ref?.mbPerS ? r.mbPerS / ref.mbPerS : NaN) : ref?.pssMb ? (r.pssMb ?? NaN) / ref.pssMb : NaN;
    return [
      r.scenario,
      r.receiver,
      num(r.mbPerS),
      `${num(ratio, 2)}${r.mbPerS === undefined ? ' PSS' : ''}`,
      r.held !== undefined ? `${num(r.echoed)}/${num(r.held)} echo` : num(r.instancesPerS),
      num(r.p50Ms, 1),
      num(r.p99Ms, 1),
      r.error ? `ERROR: ${r.error.slice(0, 60)}` : num(r.failures),
      num(r.cpuS, 1),
      num(r.cpuSPerGb, 1),
      num(r.senderCpuSPerGb, 1),
      num(r.peakRssMb),
      num(r.pssMb),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i < 2 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...body.map(line)].join('\n');
}
