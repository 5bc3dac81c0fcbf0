/**
 * pnpm bench [--quick] [--rounds N] [--work DIR] [--json FILE]
 * Our SCP against dcmtk's storescp --fork (and Orthanc when installed) on this machine: same
 * synthetic corpus, same tmpfs storage, receivers restarted over empty storage before every
 * run and run alternately (A B, B A, …). Prints one table of medians with ratios to storescp --fork.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadAverage, machineState } from './machine.ts';
import { measure, type Measurement } from './measure.ts';
import { makeCorpus, plan } from './scenarios.ts';
import { benchTable, medians } from './table.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    work: { type: 'string', default: '/dev/shm/storescp-bench' },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('Usage: pnpm bench [--quick] [--rounds N] [--work DIR (a tmpfs; default /dev/shm/storescp-bench)] [--json FILE]');
  process.exit(0);
}

const started = Date.now();
const log = (s: string) => console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}`);
const p = plan(values.quick);
const rounds = Number(values.rounds ?? (values.quick ? 1 : 3));
for (const line of await machineState(values.work)) log(line);
log(`writing corpus: ${p.ctInstances} CT + multi-frame ${p.multiFrameMb.join(', ')} MB under ${values.work}`);
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
