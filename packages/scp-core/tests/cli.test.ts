/** The storescp command: flags and environment, --help, and one clear line for a bad value. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/index.ts';
import { CLI } from './helpers.ts';

const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env }, timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );

test('defaults follow the seeds, flags win over the environment', () => {
  const d = loadConfig([], {});
  assert.equal(d.aeTitle, 'STORESCP');
  assert.equal(d.port, 11112);
  assert.equal(d.maxAssociations, 300);
  assert.equal(d.dimseTimeout, 60);
  assert.equal(d.networkTimeout, 90);
  assert.equal(d.storage, 'file://./data');
  const c = loadConfig(['--port', '11112', '--ae-title', 'STORESCP', '--storage', 'file://./data', '--max-associations=50'], { SCP_PORT: '104', SCP_AE_TITLE: 'OTHER', PEER_CIDRS: '10.0.0.0/8, 172.16.0.0/12' });
  assert.equal(c.port, 11112);
  assert.equal(c.aeTitle, 'STORESCP');
  assert.equal(c.maxAssociations, 50);
  assert.deepEqual(c.peerCidrs, ['10.0.0.0/8', '172.16.0.0/12']);
});

test('each invalid value is refused with the setting, the value and what is allowed', () => {
  const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [['--port', 'abc'], {}, /--port \/ SCP_PORT value "abc": must be a whole number from 0 to 65535/],
    [[], { SCP_AE_TITLE: 'THIS_TITLE_IS_TOO_LONG' }, /--ae-title \/ SCP_AE_TITLE .*1-16/],
    [['--storage', 'ftp://x'], {}, /--storage \/ STORAGE_URL .*file:\/\/DIR or s3:\/\/bucket/],
    [[], { PEER_CIDRS: '10.0.0.0/33' }, /PEER_CIDRS .*not a CIDR/],
    [['--dimse-timeout', '-1'], {}, /DIMSE_TIMEOUT/],
    [['--bogus', '1'], {}, /unknown option --bogus/],
    [['--tls-key', 'k.pem'], {}, /must be given together/],
  ];
  for (const [argv, env, message] of cases) assert.throws(() => loadConfig(argv, env), (e) => e instanceof ConfigError && message.test(e.message), String(message));
});

test('the command exits 2 with one line on a bad value, and --help lists every flag with its variable', async () => {
  const bad = await run(['--max-associations', 'many']);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, /^storescp: invalid --max-associations \/ MAXIMUM_ASSOCIATIONS value "many"/);
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  for (const flag of ['--port', '--host', '--ae-title', '--storage', '--max-associations', '--dimse-timeout', '--network-timeout', '--tls-key', '--tls-cert', '--tls-ca', '--http-port']) {
    assert.match(help.stdout, new RegExp(`${flag} `), flag);
  }
  assert.match(help.stdout, /SCP_AE_TITLE/);
});
