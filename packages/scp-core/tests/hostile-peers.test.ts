/**
 * Hostile peers (issue 6): each case gets a protocol answer or a close, the process keeps serving
 * everyone else (a normal C-STORE succeeds afterwards), and nothing partial is stored.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AssociationAborted, encodeCommand, encodePdu, pdataHeader, PduType, Scu, type AssociateRq, type Pdu } from '../src/index.ts';
import { allFiles, buildDataset, closedManifests, connectScu, ctDataset, CT_IMAGE, freshUid, spawnScp, startTestScp, storedFiles, storeOne, type TestScp } from './helpers.ts';

let t: TestScp;
before(async () => {
  t = await startTestScp(['--network-timeout', '1', '--dimse-timeout', '1']);
});
after(() => t.stop());

/** The peer's last word: an A-ABORT PDU or the connection closed. */
async function ended(scu: Scu): Promise<'abort' | 'closed' | Pdu['type']> {
  try {
    for (;;) {
      const pdu: Pdu = await scu.nextPdu();
      if (pdu.type === PduType.Abort) return 'abort';
      if (pdu.type !== PduType.PData) return pdu.type;
    }
  } catch (err) {
    assert.ok(err instanceof AssociationAborted, String(err));
    return 'closed';
  } finally {
    scu.close();
  }
}

const rq = (contexts: AssociateRq['presentationContexts'], extra: Partial<AssociateRq['userInformation']> = {}): AssociateRq => ({
  type: PduType.AssociateRq,
  protocolVersion: 1,
  calledAeTitle: 'STORESCP',
  callingAeTitle: 'HOSTILE',
  applicationContext: '1.2.840.10008.3.1.1.1',
  presentationContexts: contexts,
  userInformation: { maxPduLength: 16384, implementationClassUid: '1.2.3', ...extra },
});

test('an A-ASSOCIATE-RQ with hundreds of presentation contexts is answered, not a crash', async () => {
  const contexts = Array.from({ length: 400 }, (_, i) => ({ id: (i * 2 + 1) & 0xff, abstractSyntax: `1.2.840.10008.5.1.4.1.1.${i}`, transferSyntaxes: ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'] }));
  const scu = await Scu.raw('127.0.0.1', t.port);
  scu.send(encodePdu(rq(contexts)));
  const answer = await scu.nextPdu();
  assert.equal(answer.type, PduType.AssociateAc);
  // Duplicate context IDs (400 contexts, 128 possible IDs) are refused, one answer per proposal.
  assert.equal((answer as { presentationContexts: unknown[] }).presentationContexts.length, 400);
  scu.close();
  assert.equal(await storeOne(t.port), 0);
});

test('oversized user information items and an A-ASSOCIATE-RQ past 256 KiB are refused', async () => {
  const bigRoles = Array.from({ length: 3000 }, (_, i) => ({ sopClassUid: `1.2.840.10008.5.1.4.1.1.${i}.${'9'.repeat(40)}`, scu: true, scp: true }));
  const scu = await Scu.raw('127.0.0.1', t.port);
  scu.send(encodePdu(rq([{ id: 1, abstractSyntax: CT_IMAGE, transferSyntaxes: ['1.2.840.10008.1.2'] }], { roleSelections: bigRoles })));
  assert.ok(['abort', 'closed'].includes(String(await ended(scu))));
  assert.equal(await storeOne(t.port), 0);
});

/** On an established association, sends what `bytes` builds for the CT context: A-ABORT, then a normal store works. */
async function abortedAfter(bytes: (pcId: number) => Uint8Array[]): Promise<void> {
  const scu = await connectScu(t.port);
  for (const b of bytes(scu.contextFor(CT_IMAGE).id)) scu.send(b);
  assert.equal(await ended(scu), 'abort');
  assert.equal(await storeOne(t.port), 0);
}

test('a P-DATA-TF larger than the negotiated maximum is aborted', async () => {
  const data = new Uint8Array(300 * 1024);
  await abortedAfter((pc) => [pdataHeader(pc, false, false, data.length), data]);
});

test('a PDV whose length disagrees with its PDU is aborted', async () => {
  await abortedAfter((pc) => {
    const h = pdataHeader(pc, true, true, 100);
    new DataView(h.buffer).setUint32(6, 5000, false); // the PDV claims 5000 bytes inside a 106-byte PDU
    return [h, new Uint8Array(100)];
  });
});

test('a command set that is garbage is aborted', async () => {
  const junk = Buffer.from('this is not a DICOM command set at all!!');
  await abortedAfter((pc) => [pdataHeader(pc, true, true, junk.length), junk]);
});

test('a dataset element whose length runs past the data (before the UIDs) is 0xC000', async () => {
  const scu = await connectScu(t.port);
  const sop = freshUid();
  const ds = Buffer.concat([
    buildDataset([[0x00080016, 'UI', CT_IMAGE], [0x00080018, 'UI', sop]]),
    Buffer.from([0x08, 0x00, 0x20, 0x00, 0x44, 0x41, 0xff, 0x7f]), // (0008,0020) DA claiming 32767 bytes
    Buffer.from('2024'),
  ]);
  const rsp = await scu.store(CT_IMAGE, sop, ds);
  assert.equal(rsp.status, 0xc000);
  await scu.release();
  assert.equal(storedFiles(t.dir).filter((f) => f.includes(sop)).length, 0);
});

test('P-DATA after A-RELEASE-RQ is not stored and breaks nothing', async () => {
  const scu = await connectScu(t.port);
  const sop = freshUid();
  scu.send(encodePdu({ type: PduType.ReleaseRq }));
  scu.sendDataset(scu.beginStore(CT_IMAGE, sop), ctDataset({ sop }));
  const last = await ended(scu);
  assert.ok([PduType.ReleaseRp, 'abort', 'closed'].includes(last as never), String(last));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(storedFiles(t.dir).filter((f) => f.includes(sop)).length, 0);
  assert.equal(await storeOne(t.port), 0);
});

test('a slow sender (one byte every 100 ms) cannot keep an association past the timeouts', async () => {
  const bytes = encodePdu(rq([{ id: 1, abstractSyntax: CT_IMAGE, transferSyntaxes: ['1.2.840.10008.1.2'] }]));
  const socket = net.connect({ host: '127.0.0.1', port: t.port });
  const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now())));
  socket.on('error', () => {});
  const started = Date.now();
  for (let i = 0; i < bytes.length && !socket.destroyed; i++) {
    socket.write(bytes.subarray(i, i + 1));
    await new Promise((r) => setTimeout(r, 100));
    if (Date.now() - started > 5000) break;
  }
  const at = await closed;
  assert.ok(at - started < 3000, `closed after ${at - started} ms (network timeout 1 s)`);
  assert.equal(await storeOne(t.port), 0);
});

test('a peer that stores then drops TCP without release keeps its instance, and its batch is closed', async () => {
  const scu = await connectScu(t.port);
  const sop = freshUid();
  assert.equal((await scu.store(CT_IMAGE, sop, ctDataset({ sop }))).status, 0);
  scu.socket.destroy();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(storedFiles(t.dir).filter((f) => f.endsWith(`${sop}.dcm`)).length, 1);
  const mine = closedManifests(t.dir).find((m) => m.instances.some((i) => i.sopInstanceUid === sop));
  assert.ok(mine, 'the batch has its manifest');
  assert.notEqual(mine.reason, 'release');
});

test('a peer that never reads our responses still has every instance stored, and others are served', async () => {
  const scu = await connectScu(t.port);
  scu.socket.pause(); // never read: our responses pile up in its receive buffer
  const ctx = scu.contextFor(CT_IMAGE);
  const sops = Array.from({ length: 200 }, () => freshUid());
  sops.forEach((sop, i) => {
    const ds = ctDataset({ sop });
    const cmd = encodeCommand({ commandField: 1, messageId: i + 1, affectedSopClassUid: CT_IMAGE, affectedSopInstanceUid: sop, priority: 0, hasDataset: true });
    scu.send(pdataHeader(ctx.id, true, true, cmd.length));
    scu.send(cmd);
    scu.send(pdataHeader(ctx.id, false, true, ds.length));
    scu.send(ds);
  });
  assert.equal(await storeOne(t.port), 0, 'others are served meanwhile');
  for (let i = 0; i < 100 && storedFiles(t.dir).filter((f) => sops.some((s) => f.endsWith(`${s}.dcm`))).length < 200; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(storedFiles(t.dir).filter((f) => sops.some((s) => f.endsWith(`${s}.dcm`))).length, 200);
  scu.close();
});

test('10,000 TCP connections that never send a byte: the cap and the network timeout reclaim them while real clients get in', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'scp-flood-'));
  const scp = await spawnScp(['--storage', `file://${dir}`, '--max-associations', '50', '--max-connections', '500', '--network-timeout', '2']);
  const sockets: net.Socket[] = [];
  try {
    for (let i = 0; i < 10_000; i++) {
      const s = net.connect({ host: '127.0.0.1', port: scp.port });
      s.on('error', () => {});
      s.resume(); // read (and drop) what the SCP says, so its close is seen
      sockets.push(s);
      if (i % 500 === 499) await new Promise((r) => setImmediate(r));
      if (i === 5000) assert.equal(await storeOne(scp.port), 0, 'a real client gets in during the flood');
    }
    assert.equal(await storeOne(scp.port), 0, 'and after it');
    await new Promise((r) => setTimeout(r, 3000));
    const open = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
    assert.ok(open < 50, `${open} silent connections still open after the network timeout`);
    assert.equal(await storeOne(scp.port), 0);
  } finally {
    sockets.forEach((s) => s.destroy());
    scp.child.kill('SIGTERM');
    await scp.exited;
  }
  assert.equal(existsSync(dir), true);
  assert.equal(allFiles(dir).filter((f) => f.endsWith('.tmp')).length, 0);
});
