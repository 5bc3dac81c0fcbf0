/**
 * How answers go out. No asynchronous operations window is negotiated, so a peer should wait for
 * each answer; one that sends on anyway is handled in the order it sent: answers come in order,
 * and of two copies of one instance the later one is what is stored. And an answer never exceeds
 * the maximum PDU length the peer stated.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AssociationAborted, AssociationRejected, CommandField, decodeCommand, encodeCommand, encodePdu, PduType, VERIFICATION_SOP_CLASS as VERIFICATION, type Scu } from '../src/index.ts';
import { buildDataset, closedManifests, connectScu, eventually, ctDataset, CT_IMAGE, freshUid, startTestScp, storedFiles, storeOne, type TestScp } from './helpers.ts';

let t: TestScp;
before(async () => (t = await startTestScp()));
after(() => t.stop());

/** A whole C-STORE, sent without waiting for the answer. */
function sendStore(scu: Scu, messageId: number, sop: string, dataset: Uint8Array): void {
  scu.sendDataset(scu.beginStore(CT_IMAGE, sop, messageId), dataset);
}

test('two copies of one instance sent without waiting: answered in order, the later one stored', async () => {
  const scu = await connectScu(t.port);
  const sop = freshUid();
  // The first copy holds its worker longest after its last byte (6 MB to buffer before the
  // Study/Series UIDs, then to write), so it would be stored last if both ran at once.
  const first = buildDataset([
    [0x00080016, 'UI', CT_IMAGE],
    [0x00080018, 'UI', sop],
    [0x00080020, 'DA', '20240102'],
    [0x00191010, 'OB', new Uint8Array(6 * 1024 * 1024)],
    [0x0020000d, 'UI', '1.2.3.4.5'],
    [0x0020000e, 'UI', '1.2.3.4.5.6'],
  ]);
  const copies = [first, ctDataset({ sop }, 600)];
  for (const [i, dataset] of copies.entries()) sendStore(scu, i + 1, sop, dataset);
  const answers = [await scu.nextCommand(), await scu.nextCommand()];
  assert.deepEqual(answers.map((a) => [a.messageIdBeingRespondedTo, a.status]), [[1, 0], [2, 0]]);
  await scu.release();
  const files = storedFiles(t.dir).filter((f) => f.endsWith(`${sop}.dcm`));
  assert.equal(files.length, 1);
  const stored = readFileSync(files[0]!);
  assert.ok(stored.subarray(stored.length - copies[1]!.length).equals(copies[1]!), 'the later copy is the one stored');
});

test('a C-ECHO sent right behind a C-STORE is answered after it', async () => {
  const scu = await connectScu(t.port);
  const sop = freshUid();
  sendStore(scu, 7, sop, ctDataset({ sop }, 2 * 1024 * 1024));
  scu.sendCommand(scu.contextFor(VERIFICATION).id, { commandField: CommandField.CEchoRq, messageId: 8, affectedSopClassUid: VERIFICATION, hasDataset: false });
  const answers = [await scu.nextCommand(), await scu.nextCommand()];
  assert.deepEqual(answers.map((a) => [a.commandField, a.messageIdBeingRespondedTo, a.status]), [
    [CommandField.CStoreRsp, 7, 0],
    [CommandField.CEchoRsp, 8, 0],
  ]);
  await scu.release();
});

test('many C-STOREs and the release sent in one go are all answered, in order, and the association released', async () => {
  const scu = await connectScu(t.port);
  const sops = Array.from({ length: 20 }, () => freshUid());
  for (const [i, sop] of sops.entries()) sendStore(scu, i + 1, sop, ctDataset({ sop }, 64 * 1024));
  scu.send(encodePdu({ type: PduType.ReleaseRq }));
  const ids: number[] = [];
  for (const _ of sops) ids.push((await scu.nextCommand()).messageIdBeingRespondedTo ?? -1);
  assert.deepEqual(ids, sops.map((_, i) => i + 1));
  assert.equal((await scu.nextPdu()).type, PduType.ReleaseRp);
  scu.close();
  for (const sop of sops) assert.ok(storedFiles(t.dir).some((f) => f.endsWith(`${sop}.dcm`)), sop);
  assert.equal(await storeOne(t.port), 0x0000);
});

test('a peer that takes PDUs of at most 64 bytes gets its answer in PDVs that fit', async () => {
  const scu = await connectScu(t.port, { maxPduLength: 64 });
  const sop = freshUid();
  sendStore(scu, 3, sop, ctDataset({ sop }));
  const parts: Uint8Array[] = [];
  for (let last = false; !last; ) {
    const pdu = await scu.nextPdu();
    assert.equal(pdu.type, PduType.PData);
    if (pdu.type !== PduType.PData) return;
    for (const pdv of pdu.pdvs) {
      assert.ok(pdv.isCommand);
      assert.ok(pdv.data.length + 6 <= 64, `a PDV of ${pdv.data.length} bytes`);
      parts.push(pdv.data);
      last = pdv.isLast;
    }
  }
  assert.ok(parts.length > 1);
  const answer = decodeCommand(Buffer.concat(parts));
  assert.deepEqual([answer.messageIdBeingRespondedTo, answer.status, answer.affectedSopInstanceUid], [3, 0, sop]);
  await scu.release();
});

test('a peer that sends without waiting has at most a command read of it ahead of each answer, past its first read', async () => {
  // The socket the SCP accepts (private to the listener: only its reads are watched here).
  const server = (t.scp.listener as unknown as { server: Server }).server;
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const scu = await connectScu(t.port);
  const socket = await accepted;
  // Every answer is one corked write: how far the SCP had read when it answered.
  const readAtAnswer: number[] = [];
  const cork = socket.cork.bind(socket);
  socket.cork = () => (readAtAnswer.push(socket.bytesRead), cork());
  // Equal UID lengths, so every message is the same number of bytes on the wire.
  const sops = Array.from({ length: 400 }, (_, i) => `1.2.826.0.1.3680043.9.7.${100_000 + i}`);
  const send = (i: number) => sendStore(scu, i + 1, sops[i]!, ctDataset({ sop: sops[i]! }, 10_000));
  send(0);
  assert.equal((await scu.nextCommand()).status, 0);
  for (let i = 1; i < sops.length; i++) send(i); // 4 MB in one go
  for (let i = 1; i < sops.length; i++) assert.equal((await scu.nextCommand()).messageIdBeingRespondedTo, i + 1);
  await scu.release();
  const [first, last] = [readAtAnswer[0]!, readAtAnswer.at(-1)!];
  const message = (last - first) / (sops.length - 1);
  assert.ok(Number.isInteger(message) && message > 10_000, `${message} bytes a message`);
  // Answer k is written once message k is read; the first read after the peer's first answer
  // (up to 1 MiB) is kept whole, and reads after that stop at PDU ends.
  const ahead = readAtAnswer.map((read, k) => read - (first + k * message));
  const pastFirstRead = ahead.slice(Math.ceil((1024 * 1024) / message) + 1);
  assert.ok(pastFirstRead.length > 200);
  assert.ok(Math.max(...pastFirstRead) <= 1024, `read ahead of answers: up to ${Math.max(...pastFirstRead)} bytes`);
});

test('an A-ABORT sent while the peer awaits its answer ends the association at once; the store still completes', async () => {
  const own = await startTestScp([], ONE_SLOT);
  const open = async () => (await own.scp.metrics.associationsOpen.get()).values[0]?.value;
  try {
    const blocker = await blockTheOnlySlot(own);

    const peer = await connectScu(own.port);
    const sop = freshUid();
    sendStore(peer, 1, sop, ctDataset({ sop }, 10_000));
    peer.send(encodePdu({ type: PduType.Abort, source: 0, reason: 0 }));
    // The connection ends while the store it sent still waits for the slot.
    await assert.rejects(peer.nextPdu(), AssociationAborted);
    await eventually(open, (n) => n === 1); // its slot is free

    await blocker.finish();
    // Received whole before the abort: stored (though never acknowledged) and listed, not lost.
    const listed = () => closedManifests(own.dir).some((m) => m.reason === 'abort' && m.instances.some((i) => i.sopInstanceUid === sop));
    await eventually(listed, Boolean); // listed in the manifest of the aborted association
    assert.ok(storedFiles(own.dir).some((f) => f.endsWith(`${sop}.dcm`)));
  } finally {
    await own.stop();
  }
});

test('what a peer sent ahead of its answer counts in the byte budget until it is read, or the association ends', async () => {
  for (const ending of ['answered', 'stopped'] as const) {
    const own = await startTestScp([], ONE_SLOT);
    const inFlight = async () => (await own.scp.metrics.bytesInFlight.get()).values[0]?.value ?? 0;
    try {
      // The peer's first store waits for the slot, so its answer waits too.
      const blocker = await blockTheOnlySlot(own);
      // What the blocker's stream holds, once all it sent has arrived.
      let blocking = -1;
      for (let i = 0; i < 100 && blocking !== (await inFlight()); i++) {
        blocking = await inFlight();
        await sleep(50);
      }

      const peer = await connectScu(own.port);
      const [first, second] = [freshUid(), freshUid()];
      const [data1, data2] = [ctDataset({ sop: first }, 20_000), ctDataset({ sop: second }, 20_000)];
      sendStore(peer, 1, first, data1);
      sendStore(peer, 2, second, data2);
      // The first dataset waits for the slot; the second message, read with it, waits for its answer.
      const sent = data1.length + data2.length;
      // The second message is counted as it came: with its command and PDU headers, once.
      const counted = (await eventually(inFlight, (n) => n >= blocking + sent)) - blocking;
      assert.ok(counted <= sent + 1024, `${counted} bytes counted for ${data1.length} + ${data2.length}`);

      if (ending === 'answered') {
        await blocker.finish();
        assert.deepEqual([(await peer.nextCommand()).status, (await peer.nextCommand()).status], [0, 0]);
        // Given back when read, not only when the association ends: nothing left counted once
        // all is answered, the association still open.
        await eventually(inFlight, (n) => n === 0);
        await peer.release();
      } else {
        // A stop past its deadline aborts both associations while the second message is still held.
        await own.scp.drain(100);
      }
      await eventually(inFlight, (n) => n === 0); // nothing left counted
    } finally {
      await own.stop();
    }
  }
});

const ONE_SLOT = { pool: { threads: 1, tasksPerThread: 1, waitTimeoutMs: 60_000 } };

/** Takes the only worker slot of a ONE_SLOT SCP with a dataset that streams and is not finished: the next store waits. */
async function blockTheOnlySlot(own: TestScp): Promise<{ finish(): Promise<void> }> {
  const blocker = await connectScu(own.port);
  const sop = freshUid();
  const big = ctDataset({ sop }, 3 * 1024 * 1024);
  const pcId = blocker.beginStore(CT_IMAGE, sop, 1);
  blocker.sendDataset(pcId, big.subarray(0, 2 * 1024 * 1024), false);
  const utilization = async () => (await own.scp.metrics.poolUtilization.get()).values[0]?.value;
  await eventually(utilization, (u) => u === 1); // the unfinished stream holds the only slot
  return {
    async finish() {
      blocker.sendDataset(pcId, big.subarray(2 * 1024 * 1024));
      assert.equal((await blocker.nextCommand()).status, 0);
      await blocker.release();
    },
  };
}

/** Everything of a C-STORE but the dataset's last byte: the association stays busy until it is sent. */
function sendAllButLastByte(scu: Scu, messageId: number, sop: string): () => void {
  const dataset = ctDataset({ sop }, 100_000);
  const pcId = scu.beginStore(CT_IMAGE, sop, messageId);
  scu.sendDataset(pcId, dataset.subarray(0, dataset.length - 1), false);
  return () => scu.sendDataset(pcId, dataset.subarray(dataset.length - 1));
}

test('stopping (SIGTERM): a release sent right behind the last C-STORE is a release; a C-STORE sent there is refused 0xA700', async () => {
  for (const behind of ['release', 'store'] as const) {
    const own = await startTestScp();
    try {
      const scu = await connectScu(own.port);
      const sop = freshUid();
      const finish = sendAllButLastByte(scu, 1, sop);
      // The stop begins once the SCP holds the message in progress (its dataset bytes in flight).
      for (let i = 0; i < 500 && ((await own.scp.metrics.bytesInFlight.get()).values[0]?.value ?? 0) < 50_000; i++) await sleep(10);
      const drained = own.scp.drain(5000);
      const late = freshUid();
      finish();
      if (behind === 'release') scu.send(encodePdu({ type: PduType.ReleaseRq }));
      else sendStore(scu, 2, late, ctDataset({ sop: late }));
      assert.deepEqual(pick(await scu.nextCommand()), [1, 0x0000], `${behind}: the store in progress is answered`);
      if (behind === 'release') assert.equal((await scu.nextPdu()).type, PduType.ReleaseRp, 'released, not aborted');
      else {
        const refused = await scu.nextCommand();
        assert.deepEqual(pick(refused), [2, 0xa700]);
        assert.match(refused.errorComment ?? '', /shutting down/);
        assert.equal((await scu.nextPdu()).type, PduType.Abort);
      }
      scu.close();
      await drained;
      assert.ok(storedFiles(own.dir).some((f) => f.endsWith(`${sop}.dcm`)));
      assert.ok(!storedFiles(own.dir).some((f) => f.endsWith(`${late}.dcm`)));
    } finally {
      await own.stop();
    }
  }
});

test('a peer waiting for its answer is not counted as paused by backpressure', async () => {
  const scu = await connectScu(t.port);
  const sop = freshUid();
  const finish = sendAllButLastByte(scu, 1, sop);
  finish();
  // Sent before the answer: held, and the socket paused, but not for backpressure.
  const next = freshUid();
  sendStore(scu, 2, next, ctDataset({ sop: next }, 2 * 1024 * 1024));
  let maxPaused = 0;
  const sampler = setInterval(async () => {
    maxPaused = Math.max(maxPaused, (await t.scp.metrics.socketsPaused.get()).values[0]?.value ?? 0);
  }, 1);
  try {
    assert.deepEqual([pick(await scu.nextCommand()), pick(await scu.nextCommand())], [[1, 0], [2, 0]]);
  } finally {
    clearInterval(sampler);
  }
  assert.equal(maxPaused, 0);
  await scu.release();
});

test('a peer that takes PDUs shorter than 7 bytes cannot get any answer: rejected at association', async () => {
  await assert.rejects(connectScu(t.port, { maxPduLength: 6 }), AssociationRejected);
  assert.equal(await storeOne(t.port), 0x0000);
});

test('a request we do not serve gets its own response type with 0x0211; a C-CANCEL gets none', async () => {
  const scu = await connectScu(t.port);
  const pcId = scu.contextFor(CT_IMAGE).id;
  scu.sendCommand(pcId, { commandField: CommandField.CFindRq, messageId: 5, affectedSopClassUid: CT_IMAGE, priority: 0, hasDataset: true });
  scu.sendDataset(pcId, buildDataset([[0x00100010, 'PN', '*']]));
  const find = await scu.nextCommand();
  assert.deepEqual([find.commandField, find.messageIdBeingRespondedTo, find.status], [0x8020, 5, 0x0211]);
  scu.sendCommand(pcId, { commandField: CommandField.CCancelRq, messageIdBeingRespondedTo: 5, hasDataset: false });
  assert.equal(await scu.echo(), 0x0000, 'the next answer is the C-ECHO-RSP: the C-CANCEL got none');
  await scu.release();
});

const pick = (c: { messageIdBeingRespondedTo?: number; status?: number }) => [c.messageIdBeingRespondedTo, c.status];

test('a response sent where a request was expected is aborted, not answered', async () => {
  const scu = await connectScu(t.port);
  scu.sendCommand(scu.contextFor(VERIFICATION).id, { commandField: CommandField.CEchoRsp, messageIdBeingRespondedTo: 1, affectedSopClassUid: VERIFICATION, status: 0, hasDataset: false });
  assert.equal((await scu.nextPdu()).type, PduType.Abort);
  scu.close();
});

test('stopping: a C-CANCEL that finishes arriving after the stop began ends the association at once', async () => {
  const own = await startTestScp();
  try {
    const scu = await connectScu(own.port);
    const pcId = scu.contextFor(CT_IMAGE).id;
    const command = encodeCommand({ commandField: CommandField.CCancelRq, messageIdBeingRespondedTo: 1, hasDataset: false });
    const fragment = (data: Uint8Array, isLast: boolean) => encodePdu({ type: PduType.PData, pdvs: [{ presentationContextId: pcId, isCommand: true, isLast, data }] });
    scu.send(fragment(command.subarray(0, 20), false));
    await sleep(200); // the half command is read: the association is busy
    const started = Date.now();
    const drained = own.scp.drain(20_000);
    scu.send(fragment(command.subarray(20), true));
    assert.equal((await scu.nextPdu()).type, PduType.Abort);
    await drained;
    assert.ok(Date.now() - started < 10_000, 'not left to the drain deadline');
    scu.close();
  } finally {
    await own.stop();
  }
});
