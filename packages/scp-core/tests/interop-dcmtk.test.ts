/**
 * dcmtk as the sending peer. Every corpus file goes through storescu with the proposal flag its
 * transfer syntax needs; dcmtk's own bit-preserving storescp (+B) receives the same sends as a
 * witness of the bytes storescu put on the wire, and our stored dataset must equal them byte for
 * byte, behind a correct File Meta Information.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { readPart10Meta } from '../src/index.ts';
import { corpusSends, datasetSopUid, freePort, PROPOSE, storescuArgs } from './corpus-sends.ts';
import { CORPUS, corpusFile, datasetOf, dcmtk, EXPLICIT_LE, freshUid, startTestScp, storedFiles, type TestScp } from './helpers.ts';

let ours: TestScp;
let witnessDir: string;
let witnessPort: number;
let witness: ReturnType<typeof spawn>;

before(async () => {
  ours = await startTestScp();
  witnessDir = mkdtempSync(join(tmpdir(), 'witness-'));
  witnessPort = await freePort();
  witness = spawn('storescp', ['+B', '+xa', '-aet', 'STORESCP', '-od', witnessDir, String(witnessPort)], { env: { ...process.env, TCP_NODELAY: '1' }, stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
});

after(async () => {
  witness.kill();
  await ours.stop();
});

test('every corpus file stored by storescu is the bytes it sent, behind a correct meta header', async () => {
  const sends = await corpusSends();
  const checked = new Set<string>();
  for (const send of sends) {
    const flag = PROPOSE[send.ts];
    assert.ok(flag, `no storescu proposal flag known for ${send.ts}`);
    const args = [...storescuArgs(send.ts), '127.0.0.1'];
    const [toUs, toWitness] = await Promise.all([dcmtk('storescu', [...args, String(ours.port), ...send.files]), dcmtk('storescu', [...args, String(witnessPort), ...send.files])]);
    assert.equal(toWitness.code, 0, `witness: ${toWitness.stderr}`);
    assert.equal(toUs.code, 0, `storescu ${flag} ${send.files.map((f) => basename(f)).join(' ')}: ${toUs.stderr}`);
    assert.doesNotMatch(toUs.stderr + toUs.stdout, /Store Failed|Error/);

    const stored = new Map(storedFiles(ours.dir).map((f) => [basename(f, '.dcm'), f]));
    const witnessed = new Map(readdirSync(witnessDir).map((f) => [f.slice(f.indexOf('.') + 1), join(witnessDir, f)]));
    for (const file of send.files) {
      const uid = await datasetSopUid(file);
      const mine = stored.get(uid);
      assert.ok(mine, `${basename(file)}: nothing stored for SOP Instance UID ${uid}`);
      assert.ok(mine.includes(`/${uid}.dcm`), 'the key uses the command/dataset UID, not the file meta UID');
      assert.ok(datasetOf(mine).equals(datasetOf(witnessed.get(uid)!)), `${basename(file)}: stored dataset differs from what storescu sent`);
      const meta = readPart10Meta(readFileSync(mine));
      assert.equal(meta.sopInstanceUid, uid);
      assert.equal(meta.transferSyntaxUid, send.ts, `${basename(file)}: meta transfer syntax`);
      const dump = await dcmtk('dcmdump', [mine]);
      assert.equal(dump.code, 0, `dcmdump cannot read ${mine}: ${dump.stderr}`);
      assert.match(dump.stdout, /\(0002,0016\) AE \[STORESCU\]/);
      checked.add(basename(file));
    }
  }
  assert.equal(checked.size, readdirSync(CORPUS).length, 'every corpus file was checked');
});

test('a file whose meta UID differs from its dataset is keyed by the command UID', async () => {
  const file = corpusFile('pydicom_rtdose.dcm');
  const metaUid = readPart10Meta(readFileSync(file)).sopInstanceUid;
  const datasetUid = await datasetSopUid(file);
  assert.notEqual(metaUid, datasetUid, 'fixture premise');
  const names = storedFiles(ours.dir).map((f) => basename(f, '.dcm'));
  assert.ok(names.includes(datasetUid));
  assert.ok(!names.includes(metaUid));
});

test('OV, SV and UV elements before the Study UID (dcmtk\'s dump2dcm) are stored as sent, in both byte orders', async () => {
  // dicom-parser 1.8.21 misread them and the store was answered 0xC000; patches/ fixes that.
  const dir = mkdtempSync(join(tmpdir(), 'vr64-'));
  for (const [ts, write] of [[EXPLICIT_LE, '--write-xfer-little'], ['1.2.840.10008.1.2.2', '--write-xfer-big']] as const) {
    const sop = freshUid();
    const dump = join(dir, `${sop}.txt`);
    const file = join(dir, `${sop}.dcm`);
    writeFileSync(dump, [
      '(0008,0016) UI =CTImageStorage', `(0008,0018) UI [${sop}]`, '(0008,0020) DA [20261206]', '(0009,0010) LO [STORESCP TEST]',
      '(0009,1001) OV 1\\18446744073709551615', '(0009,1002) SV -5\\7', '(0009,1003) UV 42',
      `(0020,000d) UI [${sop}.1]`, `(0020,000e) UI [${sop}.2]`,
    ].join('\n'));
    const made = await dcmtk('dump2dcm', [write, dump, file]);
    assert.equal(made.code, 0, made.stderr);
    const sent = await dcmtk('storescu', [...storescuArgs(ts), '127.0.0.1', String(ours.port), file]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.doesNotMatch(sent.stderr + sent.stdout, /Store Failed|Error/);
    const mine = storedFiles(ours.dir).find((f) => f.endsWith(`/${sop}.dcm`));
    assert.ok(mine, `${ts}: nothing stored`);
    assert.ok(datasetOf(mine).equals(datasetOf(file)), `${ts}: stored dataset differs from the file sent`);
  }
});

test('echoscu succeeds and a wrong called AE title is rejected', async () => {
  const ok = await dcmtk('echoscu', ['-aec', 'STORESCP', '127.0.0.1', String(ours.port)]);
  assert.equal(ok.code, 0, ok.stderr);
  const wrong = await dcmtk('echoscu', ['-aec', 'NOTME', '127.0.0.1', String(ours.port)]);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr + wrong.stdout, /Called AE Title Not Recognized/);
});

test('50 storescu processes in parallel all succeed', async () => {
  const files = ['pydicom_CT_small.dcm', 'pydicom_MR_small.dcm', 'dicom3tools_0051_MR_siemens.dcm', 'pydicom_rtplan.dcm'].map(corpusFile);
  const runs = await Promise.all(Array.from({ length: 50 }, () => dcmtk('storescu', ['-R', '-nh', '-aec', 'STORESCP', '127.0.0.1', String(ours.port), ...files], 120_000)));
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  assert.equal(runs.filter((r) => /Store Failed/.test(r.stderr + r.stdout)).length, 0);
});
