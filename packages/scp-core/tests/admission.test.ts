/** Who gets in: MaximumAssociations, the peer CIDR allow-list, calling AE titles, the raw connection cap. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AssociationRejected, Scu } from '../src/index.ts';
import { connectScu, ctDataset, CT_IMAGE, dcmtk, freshUid, startTestScp, storeOne } from './helpers.ts';

test('the MaximumAssociations+1th association is rejected (transient, local limit) while the others keep working', async () => {
  const t = await startTestScp(['--max-associations', '3']);
  try {
    const open = await Promise.all([1, 2, 3].map(() => connectScu(t.port)));
    await assert.rejects(connectScu(t.port), (err) => err instanceof AssociationRejected && err.rj.result === 2 && err.rj.source === 3 && err.rj.reason === 2);
    const viaDcmtk = await dcmtk('echoscu', ['-aec', 'STORESCP', '127.0.0.1', String(t.port)]);
    assert.match(viaDcmtk.stderr + viaDcmtk.stdout, /Rejected Transient.*|Local Limit Exceeded/s);
    for (const scu of open) {
      const sop = freshUid();
      assert.equal((await scu.store(CT_IMAGE, sop, ctDataset({ sop }))).status, 0);
    }
    await open[0]!.release();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await storeOne(t.port), 0, 'a slot freed by a release is usable');
    await Promise.all(open.slice(1).map((s) => s.release()));
  } finally {
    await t.stop();
  }
});

test('a peer outside the CIDR allow-list is closed before any PDU is read', async () => {
  const t = await startTestScp(['--peer-cidrs', '10.0.0.0/8,192.168.0.0/16']);
  try {
    await assert.rejects(connectScu(t.port));
    assert.equal(await t.scp.metrics.associationsRejected.get().then((m) => m.values.find((v) => v.labels.reason === 'peer-cidr')?.value), 1);
  } finally {
    await t.stop();
  }
  const allowed = await startTestScp(['--peer-cidrs', '127.0.0.0/8']);
  try {
    assert.equal(await storeOne(allowed.port), 0);
  } finally {
    await allowed.stop();
  }
});

test('a calling AE title not on the allow-list is rejected (permanent)', async () => {
  const t = await startTestScp(['--calling-ae-titles', 'CT01,MR01']);
  try {
    await assert.rejects(connectScu(t.port, { callingAeTitle: 'INTRUDER' }), (err) => err instanceof AssociationRejected && err.rj.result === 1 && err.rj.reason === 3);
    const ok = await connectScu(t.port, { callingAeTitle: 'CT01' });
    await ok.release();
  } finally {
    await t.stop();
  }
});

test('a flood of silent connections cannot lock real clients out: the oldest unassociated one is evicted', async () => {
  const t = await startTestScp(['--max-associations', '5', '--max-connections', '20']);
  try {
    const silent = await Promise.all(Array.from({ length: 40 }, () => Scu.raw('127.0.0.1', t.port)));
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(t.scp.listener.connectionCount <= 20);
    assert.equal(await storeOne(t.port), 0);
    silent.forEach((s) => s.close());
  } finally {
    await t.stop();
  }
});

test('a presentation context with an unsupported SOP class or no importable syntax is rejected, the others accepted', async () => {
  const t = await startTestScp();
  try {
    const scu = await Scu.connect({
      host: '127.0.0.1',
      port: t.port,
      calledAeTitle: 'STORESCP',
      contexts: [
        { abstractSyntax: '1.2.840.10008.5.1.4.1.2.2.1', transferSyntaxes: ['1.2.840.10008.1.2'] }, // C-FIND model
        { abstractSyntax: CT_IMAGE, transferSyntaxes: ['1.2.840.10008.1.2.4.999'] },
        { abstractSyntax: '1.2.840.10008.5.1.4.1.1.4', transferSyntaxes: ['1.2.3', '1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.1'] },
      ],
    });
    assert.deepEqual([...scu.accepted.entries()], [['1.2.840.10008.5.1.4.1.1.4', { id: 5, transferSyntax: '1.2.840.10008.1.2.4.90' }]]);
    await scu.release();
  } finally {
    await t.stop();
  }
});
