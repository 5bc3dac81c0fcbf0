/**
 * How answers go out. No asynchronous operations window is negotiated, so a peer should wait for
 * each answer; one that sends on anyway is handled in the order it sent: answers come in order,
 * and of two copies of one instance the later one is what is stored. And an answer never exceeds
 * the maximum PDU length the peer stated.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { CommandField, decodeCommand, encodePdu, PduType, type Scu } from '../src/index.ts';
import { buildDataset, connectScu, ctDataset, CT_IMAGE, freshUid, startTestScp, storedFiles, storeOne, type TestScp } from './helpers.ts';

let t: TestScp;
before(async () => (t = await startTestScp()));
after(() => t.stop());

const VERIFICATION = '1.2.840.10008.1.1';

/** A whole C-STORE, sent without waiting for the answer. */
function sendStore(scu: Scu, messageId: number, sop: string, dataset: Uint8Array): void {
  const pcId = scu.contextFor(CT_IMAGE).id;
  scu.sendCommand(pcId, { commandField: CommandField.CStoreRq, messageId, affectedSopClassUid: CT_IMAGE, affectedSopInstanceUid: sop, priority: 0, hasDataset: true });
  scu.sendDataset(pcId, dataset);
}

test('two copies of one instance sent without waiting: answered in order, the later one stored', async () => {
  const scu = await connectScu(t.port);
  const sop = freshUid();
  // The first copy holds its worker longest after its last byte (20 MB to buffer before the
  // Study/Series UIDs, then to write), so it would be stored last if both ran at once.
  const first = buildDataset([
    [0x00080016, 'UI', CT_IMAGE],
    [0x00080018, 'UI', sop],
    [0x00080020, 'DA', '20240102'],
    [0x00191010, 'OB', new Uint8Array(20 * 1024 * 1024)],
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
