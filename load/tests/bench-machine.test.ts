import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { machineState } from '../src/bench/machine.ts';

test('the bench states CPUs, load, the cost of a fork and the fill of the storage filesystem, even before its work directory exists', async (t) => {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-machine-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const lines = await machineState(path.join(dir, 'not-yet', 'work'));
  assert.match(lines[0]!, /^machine: \d+ CPUs, load average [\d.]+ [\d.]+ [\d.]+ before the run$/);
  assert.match(lines[1]!, /^process creation: a fork \+ exit takes \d+\.\d\d ms \(storescp --fork forks once per association\)$/);
  assert.match(lines[2]!, new RegExp(`^storage filesystem \\(${dir}\\): \\d+\\.\\d of \\d+\\.\\d GB used before the corpus is written$`));
});
