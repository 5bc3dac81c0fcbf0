/**
 * Who may read the console: open on loopback; any other bind needs a token (or the SCP does not
 * start), and then a request without it is refused, while /healthz and /metrics stay open.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { test } from 'node:test';
import { exposureProblem, isLoopbackHost, mayRead } from '../src/console/access.ts';
import { CLI, startTestScp } from './helpers.ts';

/** An address of this machine other than loopback, if it has one. */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

test('the decision rules: loopback binds need no token, anything else does; tokens compare exactly', () => {
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(host), true, host);
  for (const host of ['0.0.0.0', '::', '10.0.0.5', 'example.org', '']) assert.equal(isLoopbackHost(host), false, host);
  assert.match(exposureProblem('0.0.0.0', 8080, '') ?? '', /--console-token/);
  assert.equal(exposureProblem('0.0.0.0', 8080, 'tok'), undefined);
  assert.equal(exposureProblem('0.0.0.0', -1, ''), undefined, 'HTTP off exposes nothing');
  assert.equal(exposureProblem('127.0.0.1', 8080, ''), undefined);
  assert.equal(mayRead('', undefined), true);
  assert.equal(mayRead('tok', 'tok'), true);
  for (const presented of [undefined, '', 'to', 'tok ', 'TOK', 'tokk']) assert.equal(mayRead('tok', presented), false, String(presented));
});

test('a non-loopback HTTP bind without a token refuses to start, with one line naming the option', async () => {
  await assert.rejects(startTestScp(['--http-host', '0.0.0.0', '--http-port', '0']), /--console-token \/ CONSOLE_TOKEN/);
  const run = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
    execFile(process.execPath, ['--import', 'tsx', CLI, '--port', '0', '--http-host', '0.0.0.0', '--http-port', '0', '--storage', 'file:///nonexistent'], { timeout: 30_000 }, (err, _out, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stderr }),
    ),
  );
  assert.equal(run.code, 1);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.match(run.stderr, /^storescp: cannot start: --http-host 0\.0\.0\.0 exposes the console .*--console-token/);
});

test('bound to 0.0.0.0 with a token: a request from a non-loopback address without it gets 401; health and metrics stay open', async (t) => {
  if (!externalAddress) {
    // Nothing but loopback here: the rule is covered by the decision-function test above.
    t.diagnostic('no non-loopback IPv4 address on this machine: the HTTP part of the token rule is checked through its decision functions only');
    return;
  }
  const scp = await startTestScp(['--http-host', '0.0.0.0', '--http-port', '0', '--console-token', 's3cret-token']);
  try {
    const base = `http://${externalAddress}:${scp.scp.httpPort}`;
    const status = async (path: string, headers: Record<string, string> = {}) => (await fetch(`${base}${path}`, { headers })).status;
    assert.equal(await status('/api/state'), 401);
    assert.equal(await status('/api/config'), 401);
    assert.equal(await status('/api/jobs'), 401);
    assert.equal(await status('/console'), 401);
    assert.equal(await status('/api/state', { authorization: 'Bearer wrong-token' }), 401);
    assert.equal(await status('/api/state?token=wrong-token'), 401);
    assert.equal(await status('/api/state', { authorization: 'Bearer s3cret-token' }), 200);
    assert.equal(await status('/api/state?token=s3cret-token'), 200);
    assert.equal(await status('/console?token=s3cret-token'), 200);
    assert.equal(await status('/healthz'), 200);
    assert.equal(await status('/metrics'), 200);
    const refused = await fetch(`${base}/api/state`);
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer');
    assert.ok(!(await refused.text()).includes('s3cret'), 'the refusal does not echo the token');
  } finally {
    await scp.stop();
  }
});
