import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleReceiver, OURS, STORESCP_FORK } from '../src/bench/receivers.ts';
import { plan } from '../src/bench/scenarios.ts';

test('--only picks scenarios by association count, mf and idle; the corpus skips what does not run', () => {
  const p = plan({ only: ['16', 'idle'] });
  assert.deepEqual(p.scenarios.map((s) => s.name), ['2000 × 0.5 MB CT, 16 assoc', '1000 idle assoc + C-ECHO', '10000 idle assoc + C-ECHO']);
  assert.deepEqual(p.multiFrameMb, []);
  assert.ok(p.scenarios.every((s) => s.receivers[0] === OURS && s.receivers[1] === STORESCP_FORK));
  assert.deepEqual(plan({ only: ['mf'], quick: true }).multiFrameMb, [100, 100]);
  assert.throws(() => plan({ only: ['16', '7', 'cine'] }), /unknown scenario 7, cine: give CT association counts \(1, 4, 16, 64, 300\), mf or idle/);
});

test('--compare measures the given builds, and only those, in every scenario', async (t) => {
  const dirs = await Promise.all(['a', 'b'].map((n) => mkdtemp(path.join(tmpdir(), `bundle-${n}-`))));
  t.after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
  for (const d of dirs) for (const f of ['cli.mjs', 'pool-worker.mjs']) await writeFile(path.join(d, f), '');
  const builds = dirs.map((d) => bundleReceiver(d));
  const p = plan({ receivers: builds, only: ['1', 'mf'] });
  assert.deepEqual(p.scenarios.map((s) => s.receivers.map((r) => r.name)), [dirs, dirs]);
  assert.deepEqual(p.settlers.map((r) => r.name), dirs);
  const argv = await builds[0]!.argv(11112, '/tmp/store', 16);
  assert.ok(argv.includes(path.join(dirs[0]!, 'cli.mjs')), argv.join(' '));
});

test('a directory that is not a build of our SCP is refused before anything runs', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'not-a-bundle-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(path.join(dir, 'cli.mjs'), '');
  assert.throws(() => bundleReceiver(dir), /is not an SCP bundle: no pool-worker\.mjs/);
});
