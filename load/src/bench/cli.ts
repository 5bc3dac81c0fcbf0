/**
 * pnpm bench [--quick] [--rounds N] [--only 1,16,mf,idle] [--compare DIR,DIR] [--work DIR] [--json FILE]
 * Our SCP against dcmtk's storescp --fork (and Orthanc when installed) on this machine: same
 * synthetic corpus, same tmpfs storage, receivers restarted over empty storage before every
 * run and run alternately (A B, B A, …). Prints one table of medians with ratios to storescp --fork.
 * With --compare, the receivers are builds of our SCP instead, for same-run A/Bs.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadAverage, machineState } from './machine.ts';
import { measure, type Measurement } from './measure.ts';
import { bundleReceiver } from './receivers.ts';
import { makeCorpus, plan, type Plan } from './scenarios.ts';
import { benchTable, medians } from './table.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    work: { type: 'string', default: '/dev/shm/storescp-bench' },
    json: { type: 'string' },
    only: { type: 'string' },
    compare: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log(`Usage: pnpm bench [options]
  --quick            every scenario, smaller, in under two minutes
  --rounds N         rounds per receiver and scenario (default 3; 1 with --quick)
  --only LIST        only these scenarios: CT association counts, mf, idle (e.g. 1,16,300,mf)
  --compare DIRS     instead of ours, storescp and Orthanc: these builds of our SCP, each a copy of
                     packages/scp-core/dist beside it (e.g. packages/scp-core/dist-before,…-after)
  --work DIR         a tmpfs for the corpus and storage (default /dev/shm/storescp-bench)
  --json FILE        every measurement, not only the medians`);
  process.exit(0);
}

const started = Date.now();
const log = (s: string) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}`);
let p: Plan;
try {
  p = plan({
    quick: values.quick,
    ...(values.only ? { only: values.only.split(',').map((t) => t.trim()) } : {}),
    ...(values.compare ? { receivers: values.compare.split(',').map((dir) => bundleReceiver(dir.trim())) } : {}),
  });
} catch (err) {
  console.error(`bench: ${(err as Error).message}`);
  process.exit(2);
}
const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
for (const line of await machineState(values.work)) log(line);
log(`writing corpus: ${p.ctInstances} CT${p.multiFrameMb.length ? ` + multi-frame ${p.multiFrameMb.join(', ')} MB` : ''} under ${values.work}`);
const corpus = await makeCorpus(path.join(values.work, 'corpus'), p);
const storage = path.join(values.work, 'store');

const [first] = p.scenarios;
if (first) {
  log(`settling: ${first.name}, one unreported run by ${p.settlers.map((r) => r.name).join(', ')}`);
  for (const receiver of p.settlers) await measure(first, receiver, corpus, storage);
}

const results: Measurement[] = [];
for (const scenario of p.scenarios) {
  for (let round = 1; round <= rounds; round++) {
    // A B, then B A: whoever runs first after a large tmpfs write pays for cold pages (measured:
    // 0.6-0.8 of the rate of the receiver that runs next), so no receiver always goes first.
    for (const receiver of round % 2 ? scenario.receivers : [...scenario.receivers].reverse()) {
      const m = await measure(scenario, receiver, corpus, storage);
      results.push(m);
      log(`${scenario.name} · ${receiver.name} · round ${round}: ${m.error ?? (m.mbPerS !== undefined ? `${m.mbPerS.toFixed(0)} MB/s` : `${m.echoed}/${m.held} echoed`)}, ${m.cpuS.toFixed(1)} CPU s, ${m.peakRssMb.toFixed(0)} MB peak RSS${m.failedBecause ? `; failed: ${m.failedBecause}` : ''}`);
    }
  }
}
await rm(values.work, { recursive: true, force: true }); // a tmpfs holds its files in RAM
log(`load average ${loadAverage()} after the run; ${rounds} round(s), medians shown`);
console.log(benchTable(medians(results)));
if (values.json) await writeFile(values.json, JSON.stringify(results, null, 2));
