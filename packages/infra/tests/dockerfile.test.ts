/**
 * No Docker engine here, so the Dockerfile is checked as text: the base image, a non-root user, the
 * ports, the entry point the service contract names, and the same health probe as the task definition.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../src/paths.ts';
import { HEALTHCHECK_SCRIPT } from '../src/service.ts';

const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
/** Instructions with line continuations joined and comments dropped. */
const instructions = dockerfile.replace(/\\\n\s*/g, ' ').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
const finalStage = instructions.slice(instructions.map((l) => l.startsWith('FROM ')).lastIndexOf(true));
const all = (keyword: string) => finalStage.filter((l) => l.startsWith(`${keyword} `)).map((l) => l.slice(keyword.length + 1).trim());

describe('Dockerfile', () => {
  it('builds on node:22-slim in every stage and installs with the pinned pnpm from the lockfile', () => {
    for (const from of instructions.filter((l) => l.startsWith('FROM '))) assert.match(from, /^FROM node:22-slim\b/);
    assert.ok(instructions.some((l) => /npx -y pnpm@12\.21\.0 install --frozen-lockfile/.test(l)));
  });

  it('runs as a non-root user', () => {
    const users = all('USER');
    assert.ok(users.length > 0 && !['root', '0'].includes(users.at(-1)!), `USER ${users.at(-1)}`);
  });

  it('exposes the DICOM and health ports and starts the bundled CLI', () => {
    assert.deepEqual(all('EXPOSE').join(' ').split(/\s+/).sort(), ['11112', '8080']);
    const entrypoint = JSON.parse(all('ENTRYPOINT').at(-1)!) as string[];
    assert.equal(entrypoint[0], 'node');
    assert.equal(entrypoint.at(-1), 'dist/cli.mjs');
    assert.ok(entrypoint.slice(1, -1).every((f) => f.startsWith('--')), `only Node flags between: ${entrypoint.join(' ')}`);
    assert.equal(all('WORKDIR').at(-1), '/app');
  });

  it('probes /healthz with node, exactly as the task definition does', () => {
    const check = all('HEALTHCHECK').at(-1)!;
    const command = JSON.parse(check.slice(check.indexOf('CMD') + 3).trim()) as string[];
    assert.deepEqual(command, ['node', '-e', HEALTHCHECK_SCRIPT]);
  });

  it('keeps dependencies, build outputs and the CDK app out of the build context', () => {
    const ignored = readFileSync(path.join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const pattern of ['**/node_modules', '**/cdk.out', 'packages/infra/**', '!packages/infra/package.json']) assert.ok(ignored.includes(pattern), pattern);
  });
});
