/**
 * End-to-end property: a live SCP is sent random garbage and mutated valid associations (A-ASSOCIATE-RQ,
 * C-STORE, A-RELEASE-RQ) on raw sockets. Afterwards nothing partial is stored (no temp files, every
 * stored dataset is a whole one as sent) and a normal C-STORE still succeeds.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { mutate, mutations } from '../fuzz/arbitraries.ts';
import { DICOM_APPLICATION_CONTEXT, encodeCommand, encodePdu, PduType, Scu } from '../src/index.ts';
import { allFiles, connectScu, CT_IMAGE, ctDataset, datasetOf, EXPLICIT_LE, startTestScp, storedFiles, storeOne, type TestScp } from './helpers.ts';

let t: TestScp;
before(async () => {
  t = await startTestScp(['--network-timeout', '1', '--dimse-timeout', '1']);
});
after(() => t.stop());

/** Fixed-length UIDs, so that every dataset sent here has the same length and a partial one shows. */
let serial = 0;
const nextSop = () => `1.2.826.0.1.3680043.10.1512.9.1${String(++serial).padStart(8, '0')}`;
const DATASET_LENGTH = ctDataset({ sop: nextSop() }).length;

/** What a well-behaved SCU sends for one C-STORE, as one byte stream. */
function validAssociation(): Uint8Array {
  const sop = nextSop();
  const command = encodeCommand({ commandField: 0x0001, messageId: 1, affectedSopClassUid: CT_IMAGE, affectedSopInstanceUid: sop, priority: 0, hasDataset: true });
  return Buffer.concat([
    encodePdu({
      type: PduType.AssociateRq,
      protocolVersion: 1,
      calledAeTitle: 'STORESCP',
      callingAeTitle: 'FUZZER',
      applicationContext: DICOM_APPLICATION_CONTEXT,
      presentationContexts: [{ id: 1, abstractSyntax: CT_IMAGE, transferSyntaxes: [EXPLICIT_LE] }],
      userInformation: { maxPduLength: 16384 },
    }),
    encodePdu({ type: PduType.PData, pdvs: [{ presentationContextId: 1, isCommand: true, isLast: true, data: command }] }),
    encodePdu({ type: PduType.PData, pdvs: [{ presentationContextId: 1, isCommand: false, isLast: true, data: ctDataset({ sop }) }] }),
    encodePdu({ type: PduType.ReleaseRq }),
  ]);
}

/** How long a peer waits for an answer before it gives up and closes (an incomplete stream gets none). */
const PATIENCE_MS = 100;

/**
 * Sends the bytes and reads the SCP's answers until it ends the association (A-RELEASE-RP, A-ABORT,
 * A-ASSOCIATE-RJ, or closing) or goes quiet; then closes and waits for the connection to be gone.
 * Closing right after sending would abort every association before its C-STORE is answered.
 */
async function sendAndClose(bytes: Uint8Array): Promise<void> {
  const scu = await Scu.raw('127.0.0.1', t.port);
  const closed = once(scu.socket, 'close');
  scu.send(bytes);
  const final: number[] = [PduType.ReleaseRp, PduType.Abort, PduType.AssociateRj];
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const quiet = new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), PATIENCE_MS)));
    const pdu = await Promise.race([scu.nextPdu().catch(() => undefined), quiet]);
    clearTimeout(timer);
    if (!pdu || final.includes(pdu.type)) break;
  }
  scu.socket.end();
  await closed;
}

/** Temp files once the SCP is idle: while batches close, their markers are briefly written as temp files. */
async function settledTempFiles(): Promise<string[]> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const temps = allFiles(t.dir).filter((f) => f.endsWith('.tmp'));
    if ((temps.length === 0 && t.scp.listener.connectionCount === 0) || Date.now() > deadline) return temps;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('garbage and mutated associations on raw sockets: nothing partial stored, a normal C-STORE still succeeds', { timeout: 20_000 }, async () => {
  const valid = fc.constant(null).map(validAssociation);
  const stream = fc.oneof(fc.uint8Array({ maxLength: 4096 }), fc.tuple(valid, mutations).map(([bytes, edits]) => mutate(bytes, edits)), valid);
  await fc.assert(
    fc.asyncProperty(stream, async (bytes) => {
      await sendAndClose(bytes);
    }),
    { seed: 0xf22, numRuns: 100 },
  );
  assert.deepEqual(await settledTempFiles(), [], 'no temp file left behind');
  for (const file of storedFiles(t.dir)) assert.equal(datasetOf(readFileSync(file)).length, DATASET_LENGTH, `${file} holds a whole dataset`);
  assert.ok(storedFiles(t.dir).length > 0, 'some valid associations were stored (the streams were not all rejected)');
  assert.equal(await storeOne(t.port), 0x0000);
});

test('found by fuzzing: a C-STORE with an empty dataset is answered 0xC000 and the SCP carries on', async () => {
  // readHeader threw dicom-parser's string on an empty dataset instead of answering "unreadable".
  const scu = await connectScu(t.port);
  const rsp = await scu.store(CT_IMAGE, nextSop(), new Uint8Array(0));
  await scu.release();
  assert.equal(rsp.status, 0xc000);
  assert.equal(await storeOne(t.port), 0x0000);
});
