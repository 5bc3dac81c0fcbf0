import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acceptedContexts, associateRq, maxPdvData } from '../src/client/requests.ts';
import { PduType, type AssociateAc } from '../src/pdu/types.ts';

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
