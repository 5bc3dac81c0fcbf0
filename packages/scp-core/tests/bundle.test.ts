/** The container runs the esbuild bundle (dist/), not the sources: it must build and serve like them. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO, spawnScp, storeOne, storedFiles } from './helpers.ts';

test('the bundled storescp builds, stores an instance through its worker pool, serves the console, and drains on SIGTERM', async () => {
  const built = await new Promise<number>((resolve) => execFile(process.execPath, [join(REPO, 'packages/scp-core/scripts/build.mjs')], (err) => resolve(err ? 1 : 0)));
  assert.equal(built, 0);
  const dir = mkdtempSync(join(tmpdir(), 'scp-bundle-'));
  const scp = await spawnScp(['--storage', `file://${dir}`, '--http-port', '0'], join(REPO, 'packages/scp-core/dist/cli.mjs'));
  assert.equal(await storeOne(scp.port), 0);
  // The console's files ship with the bundle.
  const http = /"http":"127\.0\.0\.1:(\d+)"/.exec(scp.output())![1];
  for (const path of ['/console', '/console/assets/uplot.js']) assert.equal((await fetch(`http://127.0.0.1:${http}${path}`)).status, 200, path);
  assert.equal(storedFiles(dir).length, 1);
  scp.child.kill('SIGTERM');
  assert.equal(await scp.exited, 0);
});
