import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandField, decodeCommand, encodeCommand, type Command } from '../src/index.ts';

test('C-STORE-RQ and -RSP survive encode and decode', () => {
  const rq: Command = { commandField: CommandField.CStoreRq, messageId: 7, affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2', affectedSopInstanceUid: '1.2.3.45', priority: 0, hasDataset: true, moveOriginatorAeTitle: 'MOVER', moveOriginatorMessageId: 3 };
  assert.deepEqual(decodeCommand(encodeCommand(rq)), rq);
  const rsp: Command = { commandField: CommandField.CStoreRsp, messageIdBeingRespondedTo: 7, affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2', affectedSopInstanceUid: '1.2.3.45', hasDataset: false, status: 0xa700, errorComment: 'storage busy' };
  assert.deepEqual(decodeCommand(encodeCommand(rsp)), rsp);
});

test('a command set that is not one is refused', () => {
  assert.throws(() => decodeCommand(new Uint8Array([1, 2, 3])));
  assert.throws(() => decodeCommand(Buffer.from('08001800' + '04000000' + '31323334', 'hex')), /group 0008/);
  const missingField = encodeCommand({ commandField: 1, hasDataset: true }).subarray(0, 12);
  assert.throws(() => decodeCommand(missingField), /Command Field/);
});
