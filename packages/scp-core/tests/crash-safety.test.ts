/**
 * Promise 1: nothing acknowledged is lost and nothing partial appears under a final key, whether
 * storage fails, the process is killed, or it is asked to stop while senders are busy.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig, startScp } from '../src/index.ts';
import { allFiles, closedManifests, connectScu, ctDataset, CT_IMAGE, freshUid, spawnScp, startTestScp, storedFiles } from './helpers.ts';

test('a storage write that fails is answered 0xA700 and leaves nothing under the final key', async () => {
  const t = await startTestScp();
  try {
    // A file where the date directory must go: mkdir fails for real, like a full or broken disk.
    writeFileSync(join(t.dir, '2024'), 'not a directory');
    const scu = await connectScu(t.port);
    const sop = freshUid();
    const rsp = await scu.store(CT_IMAGE, sop, ctDataset({ sop, studyDate: '20240102' }));
    assert.equal(rsp.status, 0xa700);
    assert.match(rsp.errorComment ?? '', /storage/);
    assert.equal(storedFiles(t.dir).length, 0);
    assert.equal(allFiles(t.dir).filter((f) => f.endsWith('.tmp')).length, 0);
    const other = freshUid();
    assert.equal((await scu.store(CT_IMAGE, other, ctDataset({ sop: other, studyDate: '20230102' }))).status, 0, 'other keys still work');
    await scu.release();
  } finally {
    await t.stop();
  }
});

test('SIGKILL during a large write leaves no partial file under a final key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scp-kill-'));
  const scp = await spawnScp(['--storage', `file://${dir}`]);
  const scu = await connectScu(scp.port, { maxPduLength: 1 << 20 });
  const sop = freshUid();
  const big = ctDataset({ sop }, 300_000_000);
  const sending = scu.store(CT_IMAGE, sop, big).catch((err: unknown) => err);
  // Kill once the object is being written (its temp file has grown), not before.
  for (let i = 0; i < 400; i++) {
    const temps = allFiles(dir).filter((f) => f.endsWith('.tmp'));
    if (temps.some((f) => (statSync(f, { throwIfNoEntry: false })?.size ?? 0) > 20_000_000)) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  scp.child.kill('SIGKILL');
  await scp.exited;
  assert.ok((await sending) instanceof Error, 'the sender was never acknowledged');
  scu.close();
  assert.equal(storedFiles(dir).length, 0, 'no object under a final key');

  // The killed writer's temporary file is removed by a later start once it is an hour old (a
  // younger one may be another process's, writing now).
  const [temp] = allFiles(dir).filter((f) => f.endsWith('.tmp'));
  assert.ok(temp, 'the killed write left its temporary file');
  const hoursAgo = new Date(Date.now() - 2 * 3600_000);
  utimesSync(temp, hoursAgo, hoursAgo);
  const next = await startScp(loadConfig(['--port', '0', '--http-port', '-1', '--host', '127.0.0.1', '--storage', `file://${dir}`, '--log-level', 'silent'], {}));
  try {
    for (let i = 0; i < 200 && existsSync(temp); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(!existsSync(temp), 'removed at start');
  } finally {
    await next.drain(1000);
  }
});

test('SIGTERM while 10 associations send: every acknowledged instance is stored, the rest were never acknowledged, exit 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scp-term-'));
  const scp = await spawnScp(['--storage', `file://${dir}`, '--drain-timeout', '20']);
  const acknowledged: string[] = [];
  const failed: string[] = [];
  const senders = Array.from({ length: 10 }, async () => {
    const scu = await connectScu(scp.port).catch(() => undefined); // refused once the drain began
    if (!scu) return;
    for (;;) {
      const sop = freshUid();
      try {
        const rsp = await scu.store(CT_IMAGE, sop, ctDataset({ sop }, 2_000_000));
        (rsp.status === 0 ? acknowledged : failed).push(sop);
      } catch {
        return; // aborted by the drain: this instance was never acknowledged
      }
    }
  });
  // Stop mid-stream: once every sender is under way, whatever the machine's speed.
  for (let i = 0; i < 600 && acknowledged.length < 20; i++) await new Promise((r) => setTimeout(r, 50));
  scp.child.kill('SIGTERM');
  const code = await scp.exited;
  await Promise.all(senders);
  assert.equal(code, 0, scp.output());
  assert.ok(acknowledged.length >= 20, `instances were acknowledged before the drain (${acknowledged.length})`);
  const stored = new Set(storedFiles(dir).map((f) => f.slice(f.lastIndexOf('/') + 1, -4)));
  const missing = acknowledged.filter((sop) => !stored.has(sop));
  assert.deepEqual(missing, [], 'acknowledged but not stored');
  // Every batch was closed: the manifests list every acknowledged instance.
  const listed = new Set(closedManifests(dir).flatMap((m) => m.instances.map((i) => i.sopInstanceUid)));
  assert.deepEqual(acknowledged.filter((s) => !listed.has(s)), []);
  assert.equal(readdirSync(join(dir, '_batches', 'open')).length, 0, 'no batch left open');
});

test('SIGTERM during a 300-association load: every acknowledged instance stored, exit 0 within the bound', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scp-term300-'));
  const scp = await spawnScp(['--storage', `file://${dir}`, '--max-associations', '400', '--drain-timeout', '20']);
  const acknowledged: string[] = [];
  let stopped = false;
  let sent = 0;
  const senders = Array.from({ length: 300 }, async () => {
    const scu = await connectScu(scp.port).catch(() => undefined); // refused once the drain began
    if (!scu) return;
    while (!stopped) {
      const sop = freshUid();
      sent++;
      try {
        if ((await scu.store(CT_IMAGE, sop, ctDataset({ sop }, 20_000))).status === 0) acknowledged.push(sop);
      } catch {
        return;
      }
    }
  });
  for (let i = 0; i < 600 && acknowledged.length < 600; i++) await new Promise((r) => setTimeout(r, 50));
  const started = Date.now();
  scp.child.kill('SIGTERM');
  const code = await scp.exited;
  const took = Date.now() - started;
  stopped = true;
  await Promise.all(senders);
  assert.equal(code, 0, scp.output());
  assert.ok(took < 25_000, `exited ${took} ms after SIGTERM (drain bound 20 s + 5 s grace)`);
  const stored = new Set(storedFiles(dir).map((f) => f.slice(f.lastIndexOf('/') + 1, -4)));
  const missing = acknowledged.filter((sop) => !stored.has(sop));
  process.stdout.write(`# ${JSON.stringify({ sent, acknowledged: acknowledged.length, stored: acknowledged.length - missing.length, acknowledgedButMissing: missing.length, exitMs: took })}\n`);
  assert.deepEqual(missing, []);
});
