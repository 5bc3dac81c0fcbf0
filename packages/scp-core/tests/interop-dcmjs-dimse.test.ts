/** A second, independent DICOM implementation as the sender: dcmjs-dimse's Client (C-ECHO and C-STORE). */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import dimse from 'dcmjs-dimse';
import { corpusFile, startTestScp, storedFiles, type TestScp } from './helpers.ts';

const { Client, requests, constants } = dimse;
let t: TestScp;
before(async () => {
  dimse.log.setLevel('silent' as never);
  t = await startTestScp();
});
after(() => t.stop());

test('dcmjs-dimse echoes and stores through our SCP', async () => {
  const statuses: number[] = [];
  const client = new Client();
  const echo = new requests.CEchoRequest();
  echo.on('response', (r) => statuses.push(r.getStatus()));
  client.addRequest(echo);
  for (const name of ['pydicom_CT_small.dcm', 'pydicom_MR_small.dcm']) {
    const store = new requests.CStoreRequest(corpusFile(name));
    store.on('response', (r) => statuses.push(r.getStatus()));
    client.addRequest(store);
  }
  await new Promise<void>((resolve, reject) => {
    client.on('closed', () => resolve());
    client.on('networkError', (e) => reject(e));
    client.send('127.0.0.1', t.port, 'DCMJSDIMSE', 'STORESCP');
  });
  assert.deepEqual(statuses, [constants.Status.Success, constants.Status.Success, constants.Status.Success]);
  assert.equal(storedFiles(t.dir).length, 2);
});
