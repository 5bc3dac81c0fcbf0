import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acceptedContexts, associateRq, maxPdvData } from '../src/client/requests.ts';
import { pdvFrames } from '../src/pdu/codec.ts';
import { PduType, type AssociateAc } from '../src/pdu/types.ts';

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

test('acceptedContexts pairs each accepted id with the abstract syntax it was proposed for', () => {
  const rq = associateRq({
    calledAeTitle: 'SCP',
    callingAeTitle: 'SCU',
    maxPduLength: 65536,
    contexts: [
      { abstractSyntax: '1.2.3', transferSyntaxes: ['1.2.840.10008.1.2.1'] },
      { abstractSyntax: '1.2.4', transferSyntaxes: ['1.2.840.10008.1.2'] },
    ],
    implementationClassUid: '1.2.3.4',
    implementationVersionName: 'TEST',
  });
  assert.deepEqual(rq.presentationContexts.map((c) => c.id), [1, 3]);
  const ac = {
    type: PduType.AssociateAc,
    presentationContexts: [
      { id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2.1' },
      { id: 3, result: 3, transferSyntax: '' },
    ],
    userInformation: { maxPduLength: 0 },
  } as unknown as AssociateAc;
  assert.deepEqual(acceptedContexts(rq, ac), [{ id: 1, abstractSyntax: '1.2.3', transferSyntax: '1.2.840.10008.1.2.1' }]);
  assert.equal(maxPdvData(ac), 262144 - 6, 'no stated limit: 256 KiB PDUs');
});
