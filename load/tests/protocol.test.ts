/**
 * The shared client association (load generator and k6) over an in-memory transport: requests
 * made without waiting for answers, and answers that do not match them.
 */
import { test } from 'node:test';
import { setImmediate as turn, setTimeout as sleep } from 'node:timers/promises';
import assert from 'node:assert/strict';
import { CommandField, PduReader, PduType, decodeCommand, encodeCommand, encodePdu, pdvFrames, type AssociateRq } from '@storescp/scp-core';
import { Association, FLUSH_BYTES, type Transport } from '../src/protocol/association.ts';
import { acceptAll } from '../src/sink/discard-scp.ts';
import type { OutgoingInstance } from '../src/synthetic/in-memory.ts';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';

/** A peer that records what the association sends: each P-DATA value as [kind, message, bytes]. */
function fakePeer(answerTimeoutMs?: number) {
  const sent: { kind: 'command' | 'data'; messageId?: number; bytes: number }[] = [];
  let rq: AssociateRq | undefined;
  let command: Uint8Array[] = [];
  const reader = new PduReader(
    {
      onPdu: (pdu) => void (pdu.type === PduType.AssociateRq && (rq = pdu)),
      onPDataStart: () => {},
      onPdvData: (_pc, isCommand, data) => {
        if (isCommand) command.push(data.slice());
        else if (sent.at(-1)?.kind === 'data') sent.at(-1)!.bytes += data.length;
        else sent.push({ kind: 'data', bytes: data.length });
      },
      onPdvEnd: (_pc, isCommand, isLast) => {
        if (!isCommand || !isLast) return;
        sent.push({ kind: 'command', messageId: decodeCommand(Buffer.concat(command)).messageId!, bytes: 0 });
        command = [];
      },
    },
    256 * 1024,
    1 << 24,
  );
  // Every flush lets the event loop turn, so a second request could slip between the PDUs of a first.
  const closed = { value: false };
  const transport: Transport = { write: (chunk) => reader.push(chunk), flush: () => turn().then(() => {}), close: () => void (closed.value = true) };
  const association = new Association(transport, answerTimeoutMs);
  const accept = () => association.receive(acceptAll(rq!));
  const answer = (messageId: number, status = 0) => {
    const rsp = encodeCommand({ commandField: CommandField.CStoreRsp, messageIdBeingRespondedTo: messageId, affectedSopClassUid: CT, affectedSopInstanceUid: '1.2', hasDataset: false, status });
    for (const frame of pdvFrames(1, true, [rsp], rsp.length, 16378)) association.receive(frame);
  };
  return { association, sent, accept, answer, closed };
}

const instance = (bytes: number): OutgoingInstance => ({ sopClassUid: CT, sopInstanceUid: '1.2', transferSyntaxUid: EXPLICIT_LE, parts: [new Uint8Array(bytes)], length: bytes });

async function associated(answerTimeoutMs?: number) {
  const peer = fakePeer(answerTimeoutMs);
  const associating = peer.association.associate({ calledAeTitle: 'SCP', callingAeTitle: 'SCU', maxPduLength: 16384, proposals: [{ abstractSyntax: CT, transferSyntax: EXPLICIT_LE }] });
  await turn();
  peer.accept();
  await associating;
  return peer;
}

test('requests made without waiting are sent whole, one after another, and answered in order', { timeout: 10_000 }, async () => {
  const peer = await associated();
  const big = FLUSH_BYTES + 100_000;
  const stores = [peer.association.store(instance(big)), peer.association.store(instance(1000)), peer.association.store(instance(big))];
  while (peer.sent.length < 6 || peer.sent[5]!.bytes < big) await turn();
  assert.deepEqual(peer.sent, [
    { kind: 'command', messageId: 1, bytes: 0 },
    { kind: 'data', bytes: big },
    { kind: 'command', messageId: 2, bytes: 0 },
    { kind: 'data', bytes: 1000 },
    { kind: 'command', messageId: 3, bytes: 0 },
    { kind: 'data', bytes: big },
  ]);
  peer.answer(1, 0);
  peer.answer(2, 0xa700);
  peer.answer(3, 0);
  assert.deepEqual(await Promise.all(stores), [0, 0xa700, 0]);
});

test('an answer to another message than the oldest unanswered fails every request', { timeout: 10_000 }, async () => {
  const peer = await associated();
  const first = peer.association.store(instance(10));
  const second = peer.association.store(instance(10));
  while (peer.sent.length < 4) await turn();
  peer.answer(2);
  await assert.rejects(first, /answer to message 2, expected 1/);
  await assert.rejects(second, /answers out of order/);
  await assert.rejects(peer.association.store(instance(10)), /answers out of order/);
  assert.ok(peer.closed.value, 'the transport is closed');
});

test('the answer timeout restarts at each answer and, once it runs out, fails every request waiting', { timeout: 10_000 }, async () => {
  const peer = await associated(1500);
  const stores = [1, 2, 3].map(() => peer.association.store(instance(10)));
  // Answers 900 ms apart: each within the timeout of the one before, both past 1500 ms.
  await sleep(900);
  peer.answer(1);
  await sleep(900);
  peer.answer(2);
  assert.deepEqual(await Promise.all(stores.slice(0, 2)), [0, 0]);
  await assert.rejects(stores[2]!, /no answer within 1500 ms/);
  assert.ok(peer.closed.value, 'the transport is closed');
});
