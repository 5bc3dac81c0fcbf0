/**
 * The pinned aws-cdk CLI synthesizes the app offline from packages/infra (cdk.json), with cdk-nag
 * and CloudFormation validation on: the same command a deployment starts with.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const infraDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

it('`cdk synth` (pinned CLI) succeeds offline and writes the template', { timeout: 180_000 }, () => {
  const out = mkdtempSync(path.join(tmpdir(), 'storescp-cdk-cli-'));
  const cli = path.join(infraDir, 'node_modules', 'aws-cdk', 'bin', 'cdk');
  const run = spawnSync(process.execPath, [cli, 'synth', '--quiet', '--no-notices', '--no-version-reporting', '--output', out], {
    cwd: infraDir,
    encoding: 'utf8',
    // No credentials and no network: synth must not need either.
    env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', CDK_DISABLE_VERSION_CHECK: '1' },
  });
  assert.equal(run.status, 0, `cdk synth failed:\n${run.stdout}\n${run.stderr}`);
  const templatePath = path.join(out, 'StoreScp.template.json');
  assert.ok(existsSync(templatePath));
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Parameters: Record<string, unknown> };
  assert.ok('SCPAETitle' in template.Parameters);
});
