import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import net, { type AddressInfo } from 'node:net';
import { PduReader, PduType, encodePdu, loadConfig, startScp } from '@storescp/scp-core';
import type { Target } from '../src/generator/connect.ts';
import { holdAssociations } from '../src/generator/hold.ts';
import { runLoad } from '../src/generator/run.ts';
import { fileSource, syntheticSource } from '../src/generator/sources.ts';
import { acceptAll, startDiscardScp } from '../src/sink/discard-scp.ts';
import { writeCorpus } from '../src/synthetic/corpus.ts';

const target = (port: number, calledAeTitle = 'STORESCP'): Target => ({ host: '127.0.0.1', port, calledAeTitle, callingAeTitle: 'LOADTEST', maxPduLength: 262144, timeoutMs: 10_000 });

async function ourScp(t: { after(fn: () => Promise<void>): void }, args: string[] = []) {
  const dir = await mkdtemp(path.join(tmpdir(), 'load-scp-'));
  const scp = await startScp(loadConfig(['--port', '0', '--host', '127.0.0.1', '--http-port', '-1', '--storage', `file://${dir}`, '--log-level', 'silent', '--worker-threads', '2', ...args], {}));
  t.after(async () => {
    await scp.drain(5000);
    await rm(dir, { recursive: true, force: true });
  });
  const stored = async () => (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.dcm')).length;
  return { port: scp.port, stored };
}

test('synthetic instances over several associations are all stored by our SCP', { timeout: 30_000 }, async (t) => {
  const scp = await ourScp(t);
  const result = await runLoad({ target: target(scp.port), source: syntheticSource(100_000), associations: 3, instances: 12 });
  assert.equal(result.instances, 12);
  assert.equal(result.succeeded, 12);
  assert.equal(result.failures, 0);
  assert.deepEqual(result.statuses, { '0x0000': 12 });
  assert.deepEqual(result.errors, {});
  assert.equal(await scp.stored(), 12);
});

test('a directory of files is sent once each by default, in its own transfer syntax', { timeout: 30_000 }, async (t) => {
  const scp = await ourScp(t);
  const corpus = await mkdtemp(path.join(tmpdir(), 'load-corpus-'));
  t.after(() => rm(corpus, { recursive: true, force: true }));
  await writeCorpus(corpus, { ct: 3, studies: 2, multiFrameMb: 1 });
  const result = await runLoad({ target: target(scp.port), source: await fileSource(corpus), associations: 2 });
  assert.equal(result.succeeded, 4);
  assert.deepEqual(result.statuses, { '0x0000': 4 });
  assert.equal(await scp.stored(), 4);
});

test('per-association budgets and the discarding SCP agree on counts', { timeout: 30_000 }, async (t) => {
  const sink = await startDiscardScp();
  t.after(() => sink.close());
  const result = await runLoad({ target: target(sink.port), source: syntheticSource(2_000_000), associations: 2, perAssociation: 3 });
  assert.equal(result.succeeded, 6);
  assert.equal(sink.received.stores, 6);
  assert.equal(sink.received.bytes, result.bytes);
});

test('with a total, a lane that sent its per-association share opens the next association', { timeout: 30_000 }, async (t) => {
  const sink = await startDiscardScp();
  t.after(() => sink.close());
  const result = await runLoad({ target: target(sink.port), source: syntheticSource(50_000), associations: 2, perAssociation: 3, instances: 10 });
  assert.equal(result.succeeded, 10);
  assert.equal(sink.received.stores, 10);
  assert.equal(sink.received.connections, 4, 'two lanes × ceil(5 / 3) associations');
});

test('rejected associations are counted as failures, not hidden', { timeout: 30_000 }, async (t) => {
  const scp = await ourScp(t);
  const result = await runLoad({ target: target(scp.port, 'NOT_OUR_AE'), source: syntheticSource(10_000), associations: 2, instances: 4 });
  assert.equal(result.succeeded, 0);
  assert.equal(result.failures, 2);
  assert.equal(Object.keys(result.errors).length, 1);
  assert.match(Object.keys(result.errors)[0]!, /rejected/);
});

test('held idle associations each answer a C-ECHO', { timeout: 30_000 }, async (t) => {
  const scp = await ourScp(t);
  let heldAt = -1;
  const result = await holdAssociations({ target: target(scp.port), count: 20, holdMs: 50, onHeld: (n) => void (heldAt = n) });
  assert.equal(heldAt, 20);
  assert.equal(result.held, 20);
  assert.equal(result.echoed, 20);
  assert.deepEqual(result.errors, {});
});

test('associations the receiver drops while held are counted as failed C-ECHOs, not a crash', { timeout: 30_000 }, async (t) => {
  const scp = await ourScp(t, ['--network-timeout', '0.2']);
  const result = await holdAssociations({ target: target(scp.port), count: 3, holdMs: 600 });
  assert.equal(result.held, 3);
  assert.equal(result.echoed, 0);
  assert.deepEqual(Object.values(result.errors), [3]);
  assert.match(Object.keys(result.errors)[0]!, /^C-ECHO: /);
});

test('stores sent ahead of their answers (--window) are all stored by our SCP and answered in order', { timeout: 30_000 }, async (t) => {
  const scp = await ourScp(t);
  const result = await runLoad({ target: target(scp.port), source: syntheticSource(100_000), associations: 2, window: 4, instances: 40 });
  assert.equal(result.succeeded, 40);
  assert.deepEqual(result.statuses, { '0x0000': 40 });
  assert.deepEqual(result.errors, {});
  assert.equal(await scp.stored(), 40);
});

test('a window of stores on an association that breaks counts each unanswered store as failed', { timeout: 30_000 }, async (t) => {
  // A peer that accepts, then drops the connection when the second C-STORE's command arrives.
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    let commands = 0;
    const reader = new PduReader(
      {
        onPdu: (pdu) => {
          if (pdu.type === PduType.AssociateRq) socket.write(acceptAll(pdu));
          if (pdu.type === PduType.ReleaseRq) socket.end(encodePdu({ type: PduType.ReleaseRp }));
        },
        onPDataStart: () => {},
        onPdvData: () => {},
        onPdvEnd: (_pc, isCommand, isLast) => void (isCommand && isLast && ++commands === 2 && socket.destroy()),
      },
      256 * 1024,
      1 << 24,
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const result = await runLoad({ target: target((server.address() as AddressInfo).port), source: syntheticSource(10_000), associations: 1, window: 3, instances: 6 });
  assert.equal(result.succeeded, 0);
  assert.equal(result.failures, 6);
  assert.equal(Object.values(result.errors).reduce((a, b) => a + b, 0), 6);
  assert.equal(connections, 2, 'one association per break while there is more to send');
});
