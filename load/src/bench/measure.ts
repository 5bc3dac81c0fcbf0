/**
 * One measurement: a fresh receiver over empty storage, the load generator as a separate
 * process (so its CPU is its own), the receiver's memory sampled throughout and its CPU
 * seconds counted from the moment it is ready (store scenarios: warmed up) until the load
 * generator is done.
 */
import { once } from 'node:events';
import path from 'node:path';
import { bundleForNode } from '@storescp/scp-core/node-bundle';
import type { HoldResult } from '../generator/hold.ts';
import type { LoadResult } from '../generator/run.ts';
import { isSuccess } from '../generator/stats.ts';
import { sampleRss, treeCpuSeconds, treePssBytes } from './proc.ts';
import { MAX_PDU, REPO, spawnWithManyFiles, startReceiver, type ReceiverSpec } from './receivers.ts';
import type { Scenario, Warmup } from './scenarios.ts';

export interface Measurement {
  scenario: string;
  receiver: string;
  mbPerS?: number;
  instancesPerS?: number;
  p50Ms?: number;
  p99Ms?: number;
  failures: number;
  cpuS: number;
  /** Receiver CPU seconds per GB stored. */
  cpuSPerGb?: number;
  /** The load generator's CPU seconds per GB sent (the sender shares the cores). */
  senderCpuSPerGb?: number;
  peakRssMb: number;
  /** Idle scenarios: PSS while the associations are held, and how many answered C-ECHO. */
  pssMb?: number;
  held?: number;
  echoed?: number;
  /** The generator's most frequent failure reasons, when there were failures. */
  failedBecause?: string;
  error?: string;
}

/** "reason ×n" for the three most frequent reasons of failure (none when nothing failed). */
function topReasons(failures: number, errors: Record<string, number>, statuses: Record<string, number> = {}): string | undefined {
  if (failures === 0) return undefined;
  const failedStatuses = Object.entries(statuses).filter(([s]) => !isSuccess(Number(s)));
  const reasons = [...Object.entries(errors), ...failedStatuses.map(([s, n]) => [`status ${s}`, n] as const)];
  return reasons.sort((a, b) => b[1] - a[1]).slice(0, 3).map(([reason, n]) => `${reason} ×${n}`).join('; ');
}

/**
 * The load generator bundled once per bench into plain JavaScript: under tsx each of the ~40
 * runs of a bench spent about a second starting (0.95 s measured for `--help`).
 */
const GENERATOR = path.join(REPO, 'load/dist/generator.mjs');
let bundled: Promise<unknown> | undefined;
const bundleGenerator = () => (bundled ??= bundleForNode({ entryPoints: [path.join(REPO, 'load/src/generator/cli.ts')], outfile: GENERATOR }));

async function runGenerator(args: string[], onStderr?: (text: string) => void): Promise<unknown> {
  await bundleGenerator();
  const child = spawnWithManyFiles([process.execPath, GENERATOR, '--json', '--timeout', '300', '--max-pdu', String(MAX_PDU), ...args]);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => {
    stderr = (stderr + d).slice(-2000);
    onStderr?.(String(d));
  });
  await once(child, 'exit');
  try {
    return JSON.parse(stdout);
  } catch {
    throw new Error(`load generator gave no result: ${stderr.trim() || stdout.trim()}`);
  }
}

/** Sends the scenario's warm-up instances, not measured; a failure among them fails the run. */
async function warmUp(target: string[], w: Warmup): Promise<void> {
  const r = (await runGenerator([...target, '--size', String(w.sizeMb), '-n', String(w.instances)])) as LoadResult;
  if (r.failures > 0) throw new Error(`${r.failures} of ${w.instances} warm-up instances failed (${topReasons(r.failures, r.errors, r.statuses)})`);
}

export async function measure(scenario: Scenario, spec: ReceiverSpec, corpus: { ct: string; mf: string }, storage: string): Promise<Measurement> {
  const receiver = await startReceiver(spec, storage, scenario.associations);
  const base = { scenario: scenario.name, receiver: spec.name };
  try {
    const target = ['--port', String(receiver.port), '-c', String(scenario.associations)];
    if (scenario.kind === 'store') await warmUp(target, scenario.warmup);
    const rss = sampleRss(receiver.pid);
    const cpu0 = treeCpuSeconds(receiver.pid);
    if (scenario.kind === 'store') {
      const r = (await runGenerator([...target, '--dir', scenario.corpus === 'ct' ? corpus.ct : corpus.mf])) as LoadResult;
      const cpuS = treeCpuSeconds(receiver.pid) - cpu0;
      const perGb = (seconds: number) => (r.bytes > 0 ? seconds / (r.bytes / 1e9) : 0);
      return {
        ...base,
        mbPerS: r.mbPerS,
        instancesPerS: r.instancesPerS,
        p50Ms: r.latencyMs.p50,
        p99Ms: r.latencyMs.p99,
        failures: r.failures,
        cpuS,
        cpuSPerGb: perGb(cpuS),
        senderCpuSPerGb: perGb(r.cpuS),
        peakRssMb: rss.stop() / 1e6,
        failedBecause: topReasons(r.failures, r.errors, r.statuses),
      };
    }
    // PSS is read once, when the generator says all associations are held: reading
    // /proc/*/smaps_rollup of thousands of processes is too slow to sample every 50 ms.
    let pss = 0;
    const r = (await runGenerator([...target, '--hold', String(scenario.holdS), '--progress'], (text) => {
      if (pss === 0 && text.includes('holding')) pss = treePssBytes(receiver.pid);
    })) as HoldResult;
    const failures = r.requested - r.echoed;
    return {
      ...base,
      failures,
      cpuS: treeCpuSeconds(receiver.pid) - cpu0,
      peakRssMb: rss.stop() / 1e6,
      pssMb: pss / 1e6,
      held: r.held,
      echoed: r.echoed,
      failedBecause: topReasons(failures, r.errors),
    };
  } catch (err) {
    const died = receiver.exitReport();
    return { ...base, failures: NaN, cpuS: NaN, peakRssMb: NaN, error: (err as Error).message + (died ? `; ${died}` : '') };
  } finally {
    await receiver.stop();
  }
}
