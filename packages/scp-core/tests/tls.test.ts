/**
 * DICOM TLS in the process: dcmtk's echoscu/storescu and openssl s_client as the peers, against
 * certificates made for the test with openssl (a CA, a server certificate for localhost and
 * 127.0.0.1, client certificates from that CA and from another one).
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/index.ts';
import { CLI, corpusFile, dcmtk, startTestScp, storedFiles, type TestScp } from './helpers.ts';

const HAVE_OPENSSL = spawnSync('openssl', ['version']).status === 0;
const skip = HAVE_OPENSSL ? false : 'openssl is not installed';

const dir = mkdtempSync(join(tmpdir(), 'scp-tls-'));
const file = (name: string) => join(dir, name);
const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A key and a certificate for `subject`, signed by `ca` (or self-signed when `ca` is omitted). */
function issue(name: string, subject: string, ca?: string, extensions?: string): void {
  if (!ca) {
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-subj', subject, '-days', '2']);
    return;
  }
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
  const ext = extensions ? ['-extfile', `${name}.ext`] : [];
  if (extensions) writeFileSync(file(`${name}.ext`), extensions);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', ...ext]);
}

before(() => {
  if (!HAVE_OPENSSL) return;
  issue('ca', '/CN=Test Hospital CA');
  issue('other-ca', '/CN=Somebody Else CA');
  issue('server', '/CN=localhost', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  issue('modality', '/O=Test Hospital/CN=CT01', 'ca');
  issue('unlisted', '/O=Test Hospital/CN=LAPTOP7', 'ca');
  issue('intruder', '/CN=CT01', 'other-ca');
  // dcmtk negotiates TLS 1.3 when it can and has no switch for 1.2: cap it through OpenSSL's config.
  writeFileSync(file('tls12.cnf'), 'openssl_conf = init\n[init]\nssl_conf = ssl\n[ssl]\nsystem_default = tls12\n[tls12]\nMaxProtocol = TLSv1.2\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const serverArgs = () => ['--tls-key', file('server.key'), '--tls-cert', file('server.pem')];
/** dcmtk with the client certificate `name`, or anonymous TLS (no certificate) without one; the server is verified against our CA. */
const tlsArgs = (name?: string) => [...(name ? ['+tls', file(`${name}.key`), file(`${name}.pem`)] : ['+tla']), '+cf', file('ca.pem')];
const echo = (port: number, args: string[]) => dcmtk('echoscu', ['-d', '-aec', 'STORESCP', ...args, '127.0.0.1', String(port)], 20_000);
const echoTls12 = (port: number, args: string[]) => dcmtk('env', [`OPENSSL_CONF=${file('tls12.cnf')}`, 'echoscu', '-d', '-aec', 'STORESCP', ...args, '127.0.0.1', String(port)], 20_000);
const protocolOf = (debug: string) => /Protocol\s*:\s*(\S+)/.exec(debug)?.[1];
const tlsRefusals = async (t: TestScp) => (await t.scp.metrics.associationsRejected.get()).values.find((v) => v.labels.reason === 'tls')?.value ?? 0;

/**
 * openssl s_client with one protocol version and, optionally, only the given TLS 1.2 suites: the
 * negotiated protocol and suite, or {} when refused. Asynchronous: the SCP runs in this process.
 */
function handshake(port: number, version: 'tls1_1' | 'tls1_2' | 'tls1_3', ciphers?: string): Promise<{ protocol?: string; cipher?: string }> {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, `-${version}`, ...(ciphers ? ['-cipher', ciphers] : []), '-CAfile', file('ca.pem'), '-verify_return_error', '-brief'];
  return new Promise((resolve) => {
    const child = execFile('openssl', args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      resolve(err ? {} : { protocol: /Protocol version: (\S+)/.exec(stderr)?.[1], cipher: /Ciphersuite: (\S+)/.exec(stderr)?.[1] });
    });
    child.stdin!.end(); // s_client closes the connection at the end of its input
  });
}

describe('TLS with server authentication only', { skip }, () => {
  let t: TestScp;
  before(async () => {
    t = await startTestScp([...serverArgs(), '--network-timeout', '1']);
  });
  after(() => t?.stop());

  test('echoscu over TLS 1.3 and TLS 1.2 and storescu succeed; a plain TCP client is refused', async () => {
    const v13 = await echo(t.port, tlsArgs());
    assert.equal(v13.code, 0, v13.stderr);
    assert.equal(protocolOf(v13.stderr + v13.stdout), 'TLSv1.3');
    const v12 = await echoTls12(t.port, tlsArgs());
    assert.equal(v12.code, 0, v12.stderr);
    assert.equal(protocolOf(v12.stderr + v12.stdout), 'TLSv1.2');

    const store = await dcmtk('storescu', ['-aec', 'STORESCP', ...tlsArgs(), '127.0.0.1', String(t.port), corpusFile('pydicom_CT_small.dcm')]);
    assert.equal(store.code, 0, store.stderr);
    assert.equal(storedFiles(t.dir).length, 1);

    const before = await tlsRefusals(t);
    const plain = await dcmtk('echoscu', ['-aec', 'STORESCP', '127.0.0.1', String(t.port)], 20_000);
    assert.notEqual(plain.code, 0);
    assert.equal(await tlsRefusals(t), before + 1, 'counted as storescp_associations_rejected_total{reason="tls"}');
  });

  test('a connection that never starts its handshake is closed after --network-timeout and counted', { timeout: 20_000 }, async () => {
    const before = await tlsRefusals(t);
    const started = Date.now();
    const socket = net.connect(t.port, '127.0.0.1');
    socket.on('error', () => {}); // a reset is as good as a close here
    await once(socket, 'close');
    const waited = Date.now() - started;
    assert.ok(waited >= 900 && waited < 5000, `closed after ${waited} ms`);
    assert.equal(await tlsRefusals(t), before + 1);
  });

  test('BCP 195 only: TLS 1.1, CBC and non-ECDHE suites are refused; ECDHE with AES-GCM or ChaCha20 is accepted, in our order', async () => {
    assert.deepEqual(await handshake(t.port, 'tls1_1'), {}, 'TLS 1.1');
    for (const weak of ['AES128-GCM-SHA256', 'AES256-SHA256', 'ECDHE-RSA-AES128-SHA256', 'ECDHE-RSA-AES256-SHA', 'DHE-RSA-AES128-GCM-SHA256']) {
      assert.deepEqual(await handshake(t.port, 'tls1_2', weak), {}, weak);
    }
    for (const good of ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305']) {
      assert.deepEqual(await handshake(t.port, 'tls1_2', good), { protocol: 'TLSv1.2', cipher: good });
    }
    // honorCipherOrder: the client prefers ChaCha20, the server picks its first choice.
    assert.equal((await handshake(t.port, 'tls1_2', 'ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256')).cipher, 'ECDHE-RSA-AES128-GCM-SHA256');
    assert.equal((await handshake(t.port, 'tls1_3')).protocol, 'TLSv1.3');
  });
});

describe('mutual TLS (--tls-ca) and the subject allow-list (--tls-client-subjects)', { skip }, () => {
  let t: TestScp;
  before(async () => {
    t = await startTestScp([...serverArgs(), '--tls-ca', file('ca.pem'), '--tls-client-subjects', 'CT01,MR02']);
  });
  after(() => t?.stop());

  test('a certificate our CA signed, with a listed CN, gets in: echoscu and storescu', async () => {
    const r = await echo(t.port, tlsArgs('modality'));
    assert.equal(r.code, 0, r.stderr);
    const store = await dcmtk('storescu', ['-aec', 'STORESCP', ...tlsArgs('modality'), '127.0.0.1', String(t.port), corpusFile('pydicom_MR_small.dcm')]);
    assert.equal(store.code, 0, store.stderr);
    assert.equal(storedFiles(t.dir).length, 1);
  });

  test('no client certificate, one from another CA (same CN), or an unlisted CN: refused and counted', async () => {
    const before = await tlsRefusals(t);
    for (const client of [undefined, 'intruder', 'unlisted']) {
      const r = await echo(t.port, tlsArgs(client));
      assert.notEqual(r.code, 0, `${client ?? 'no certificate'} was let in`);
    }
    // TLS 1.2 too: there the refusal of a missing certificate happens inside the handshake.
    assert.notEqual((await echoTls12(t.port, tlsArgs())).code, 0);
    assert.equal(await tlsRefusals(t), before + 4);
    assert.equal(storedFiles(t.dir).length, 1, 'nothing more stored');
  });
});

describe('start-up checks of the TLS settings', { skip }, () => {
  test('an unreadable or wrong file, a key that is not the certificate\'s, or an allow-list without a CA: one ConfigError naming the option', () => {
    const cases: [string[], RegExp][] = [
      [['--tls-key', file('missing.key'), '--tls-cert', file('server.pem')], /^invalid --tls-key \/ TLS_KEY value ".*missing\.key": cannot read the file \(ENOENT\)$/],
      [['--tls-key', file('server.key'), '--tls-cert', file('server.key')], /^invalid --tls-cert \/ TLS_CERT value .*: not a PEM certificate/],
      [['--tls-key', file('server.pem'), '--tls-cert', file('server.pem')], /^invalid --tls-key \/ TLS_KEY value .*: not a PEM private key/],
      [[...serverArgs(), '--tls-ca', dir], /^invalid --tls-ca \/ TLS_CA value .*: cannot read the file \(EISDIR\)$/],
      [['--tls-key', file('modality.key'), '--tls-cert', file('server.pem')], /^--tls-key \/ TLS_KEY and --tls-cert \/ TLS_CERT are not a key and its certificate/],
      [[...serverArgs(), '--tls-client-subjects', 'CT01'], /--tls-client-subjects \/ TLS_CLIENT_SUBJECTS needs --tls-ca/],
    ];
    for (const [argv, message] of cases) assert.throws(() => loadConfig(argv, {}), (e) => e instanceof ConfigError && message.test(e.message), String(message));
    assert.deepEqual(loadConfig([...serverArgs(), '--tls-ca', file('ca.pem')], { TLS_CLIENT_SUBJECTS: 'CT01, MR 02' }).tlsClientSubjects, ['CT01', 'MR 02']);
  });

  test('the command exits 2 with one line for an unreadable key file', async () => {
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, ['--import', 'tsx', CLI, '--port', '0', '--http-port', '-1'], { env: { ...process.env, TLS_KEY: file('missing.key'), TLS_CERT: file('server.pem') }, timeout: 20_000 }, (err, _out, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /^storescp: invalid --tls-key \/ TLS_KEY value ".*missing\.key": cannot read the file \(ENOENT\)/);
  });
});
