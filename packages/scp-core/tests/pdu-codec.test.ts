import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePdu, encodePdu, pdataHeader, pdvFrames, PduError, PduReader, PduType, type AssociateAc, type AssociateRq, type Pdu } from '../src/index.ts';

const rq: AssociateRq = {
  type: PduType.AssociateRq,
  protocolVersion: 1,
  calledAeTitle: 'STORESCP',
  callingAeTitle: 'MODALITY1',
  applicationContext: '1.2.840.10008.3.1.1.1',
  presentationContexts: [
    { id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] },
    { id: 3, abstractSyntax: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxes: ['1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.1'] },
  ],
  userInformation: { maxPduLength: 16384, implementationClassUid: '1.2.3.4', implementationVersionName: 'TEST', asyncOpsWindow: [1, 1], roleSelections: [{ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', scu: true, scp: false }] },
};

const roundTrip = (pdu: Pdu) => {
  const bytes = encodePdu(pdu);
  return decodePdu(bytes[0]!, bytes.subarray(6));
};

test('every PDU type survives encode and decode', () => {
  assert.deepEqual(roundTrip(rq), rq);
  const ac: AssociateAc = { ...rq, type: PduType.AssociateAc, presentationContexts: [{ id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2' }] };
  assert.deepEqual(roundTrip(ac), ac);
  for (const pdu of [
    { type: PduType.AssociateRj, result: 2, source: 3, reason: 2 },
    { type: PduType.ReleaseRq },
    { type: PduType.ReleaseRp },
    { type: PduType.Abort, source: 2, reason: 6 },
    { type: PduType.PData, pdvs: [{ presentationContextId: 3, isCommand: true, isLast: true, data: new Uint8Array([1, 2, 3, 4]) }] },
  ] as Pdu[]) {
    assert.deepEqual(roundTrip(pdu), pdu);
  }
});

test('the streaming reader yields the same PDVs however the bytes are split', () => {
  const data = new Uint8Array(5000).map((_, i) => i & 0xff);
  const stream = Buffer.concat([
    encodePdu(rq),
    pdataHeader(3, true, true, 10),
    new Uint8Array(10).fill(7),
    encodePdu({ type: PduType.PData, pdvs: [{ presentationContextId: 3, isCommand: false, isLast: false, data: data.subarray(0, 3000) }, { presentationContextId: 3, isCommand: false, isLast: true, data: data.subarray(3000) }] }),
    // An empty PDV: its header is all there is, and it still starts and ends.
    encodePdu({ type: PduType.PData, pdvs: [{ presentationContextId: 5, isCommand: true, isLast: false, data: new Uint8Array(0) }] }),
    encodePdu({ type: PduType.ReleaseRq }),
    // Small PDUs close together: holds fall in the middle of reads.
    ...Array.from({ length: 8 }, () => [pdataHeader(3, true, true, 4), new Uint8Array(4)]).flat(),
  ]);
  const tail = Array.from({ length: 8 }, () => ['pdata', 'start3cL', 'end3cL']).flat();
  // hold(): the association stops the reader after each message until it has answered it; what
  // arrives meanwhile must come out later, in order, though the socket reuses its read buffer.
  for (const [step, holding] of [1, 3, 7, 64, 1000, stream.length].flatMap((s) => [[s, false], [s, true]] as const)) {
    const events: string[] = [];
    const received: number[] = [];
    const reader = new PduReader(
      {
        onPdu: (p) => {
          events.push(`pdu${p.type}`);
          if (holding) reader.hold();
        },
        onPDataStart: () => events.push('pdata'),
        onPdvStart: (id, isCommand, isLast) => events.push(`start${id}${isCommand ? 'c' : 'd'}${isLast ? 'L' : ''}`),
        onPdvData: (_id, isCommand, d) => {
          if (!isCommand) received.push(...d);
        },
        onPdvEnd: (id, isCommand, isLast) => {
          events.push(`end${id}${isCommand ? 'c' : 'd'}${isLast ? 'L' : ''}`);
          if (holding) reader.hold();
        },
      },
      65536,
      65536,
    );
    const readBuffer = new Uint8Array(step);
    for (let p = 0, reads = 1; p < stream.length; p += step, reads++) {
      const chunk = readBuffer.subarray(0, Math.min(step, stream.length - p));
      chunk.set(stream.subarray(p, p + step));
      reader.push(chunk);
      readBuffer.fill(0xee);
      // Answers come now and then: several reads may be held at once.
      if (reads % 3 === 0) while (reader.heldBytes > 0) reader.release();
    }
    while (reader.heldBytes > 0) reader.release();
    assert.deepEqual(events, ['pdu1', 'pdata', 'start3cL', 'end3cL', 'pdata', 'start3d', 'end3d', 'start3dL', 'end3dL', 'pdata', 'start5c', 'end5c', 'pdu5', ...tail], `split ${step}${holding ? ', holding' : ''}`);
    assert.deepEqual(Buffer.from(received), Buffer.from(data), `split ${step}${holding ? ', holding' : ''}`);
    assert.ok(reader.idle);
  }
});

test('the reader refuses what no peer may send', () => {
  const reader = () => new PduReader({ onPdu() {}, onPDataStart() {}, onPdvData() {}, onPdvEnd() {} }, 1024, 16384);
  assert.throws(() => reader().push(Buffer.from([0x04, 0, 0xff, 0xff, 0xff, 0xff])), PduError, 'P-DATA over the maximum');
  assert.throws(() => reader().push(Buffer.from([0x01, 0, 0xff, 0xff, 0xff, 0xff])), PduError, 'huge A-ASSOCIATE-RQ');
  assert.throws(() => reader().push(Buffer.from([0x47, 0x45, 0x54, 0x20, 0x2f, 0x20])), PduError, 'HTTP instead of DICOM');
  // A PDV claiming more bytes than its PDU holds.
  assert.throws(() => reader().push(Buffer.from([0x04, 0, 0, 0, 0, 8, 0, 0, 0, 100, 1, 3, 0, 0])), PduError);
});

const bytes = (n: number, start = 0) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

test('pdvFrames slices parts into PDVs of at most maxData bytes, flagging only the last', () => {
  const parts = [bytes(5), bytes(0), bytes(7, 5)];
  const frames = [...pdvFrames(3, false, parts, 12, 5)];
  const pdvs: { last: boolean; data: number[] }[] = [];
  for (const f of frames) {
    // A PDU header is 12 bytes (6 of PDU, 4 of PDV length, context id, control header).
    if (f.length === 12 && f[0] === 0x04) pdvs.push({ last: (f[11]! & 0x02) !== 0, data: [] });
    else pdvs.at(-1)!.data.push(...f);
  }
  assert.deepEqual(pdvs.map((p) => p.data.length), [5, 5, 2]);
  assert.deepEqual(pdvs.map((p) => p.last), [false, false, true]);
  assert.deepEqual(pdvs.flatMap((p) => p.data), [...bytes(12)]);
  const open = [...pdvFrames(1, false, [bytes(3)], 3, 16, false)];
  assert.equal(open[0]![11]! & 0x02, 0, 'last=false leaves the dataset unfinished');
  const empty = [...pdvFrames(1, false, [], 0, 16)];
  assert.equal(empty.length, 1, 'an empty dataset is one empty, last PDV');
  assert.equal(empty[0]![11]! & 0x02, 0x02);
});
