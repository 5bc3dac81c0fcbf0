/** The container runs the esbuild bundle (dist/), not the sources: it must build and serve like them. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO, spawnScp, storeOne, storedFiles } from './helpers.ts';

test('the bundled storescp builds, stores an instance through its worker pool, and drains on SIGTERM', async () => {
  const built = await new Promise<number>((resolve) => execFile(process.execPath, [join(REPO, 'packages/scp-core/scripts/build.mjs')], (err) => resolve(err ? 1 : 0)));
  assert.equal(built, 0);
  const dir = mkdtempSync(join(tmpdir(), 'scp-bundle-'));
  const scp = await spawnScp(['--storage', `file://${dir}`], join(REPO, 'packages/scp-core/dist/cli.mjs'));
  assert.equal(await storeOne(scp.port), 0);
  assert.equal(storedFiles(dir).length, 1);
  scp.child.kill('SIGTERM');
  assert.equal(await scp.exited, 0);
});
