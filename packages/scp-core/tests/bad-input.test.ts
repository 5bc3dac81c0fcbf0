/**
 * Hostile or broken input gets a clear protocol answer and loses nothing (promise 4): after each
 * case a normal C-STORE on a new association still succeeds, and nothing partial is stored.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { createDeflateRaw } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { AbortReason, AssociationAborted, CommandField, decodeCommand, encodeCommand, encodePdu, PduType, Scu, type Pdu } from '../src/index.ts';
import { allFiles, buildDataset, connectScu, elementHeader, ctDataset, CT_IMAGE, EXPLICIT_LE, freshUid, recordingLog, startTestScp, storedFiles, storeOne, type TestScp } from './helpers.ts';

let t: TestScp;
/** What the SCP logs at info level and above, to check what it says about refused input. */
const { log, logged } = recordingLog();
before(async () => {
  t = await startTestScp(['--network-timeout', '0.5', '--dimse-timeout', '0.5'], { log });
});
after(() => t.stop());

/** The SCP answered with A-ABORT, or closed the connection. */
async function expectAbort(scu: Scu): Promise<void> {
  let pdu: Pdu | undefined;
  try {
    for (;;) {
      pdu = await scu.nextPdu();
      if (pdu.type === PduType.Abort) break;
    }
  } catch (err) {
    assert.ok(err instanceof AssociationAborted, String(err));
  }
  if (pdu) assert.equal(pdu.type, PduType.Abort);
  scu.close();
}

async function rawSend(bytes: Uint8Array): Promise<Scu> {
  const scu = await Scu.raw('127.0.0.1', t.port);
  scu.send(bytes);
  return scu;
}

/** Runs `body` against an SCP of its own, started with `args`. */
async function withOwnScp(args: string[], body: (port: number) => Promise<void>): Promise<void> {
  const own = await startTestScp(args);
  try {
    await body(own.port);
  } finally {
    await own.stop();
  }
}

const protocolRefusals = async () => (await t.scp.metrics.associationsRejected.get()).values.find((v) => v.labels.reason === 'protocol-error')?.value ?? 0;

test('garbage instead of an A-ASSOCIATE-RQ is aborted, logged and counted', async () => {
  const counted = await protocolRefusals();
  await expectAbort(await rawSend(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')));
  assert.equal(await storeOne(t.port), 0x0000);
  // Found by fuzzing the network: a peer refused before association left no trace at all.
  assert.equal(await protocolRefusals(), counted + 1);
  const line = logged.find((l) => l.event === 'connection.refused');
  assert.match(String(line?.fields?.end), /^protocol error: /);
});

test('a PDU length of 0xFFFFFFFF is aborted without buffering it', async () => {
  await expectAbort(await rawSend(Buffer.from([0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00, 0x01])));
  await expectAbort(await rawSend(Buffer.from([0x04, 0x00, 0xff, 0xff, 0xff, 0xff])));
  assert.equal(await storeOne(t.port), 0x0000);
});

test('P-DATA before association is aborted', async () => {
  const pdata = encodePdu({ type: PduType.PData, pdvs: [{ presentationContextId: 1, isCommand: true, isLast: true, data: new Uint8Array(10) }] });
  await expectAbort(await rawSend(pdata));
  assert.equal(await storeOne(t.port), 0x0000);
});

test('a dataset cut off mid-element then A-ABORT stores nothing', async () => {
  const before = allFiles(t.dir).length;
  const scu = await connectScu(t.port);
  const sop = freshUid();
  const ds = ctDataset({ sop }, 200_000);
  const pcId = scu.beginStore(CT_IMAGE, sop);
  scu.sendDataset(pcId, ds.subarray(0, 150_001), false);
  await new Promise((r) => setTimeout(r, 100));
  scu.abort();
  // The worker abandons the write once it hears of the abort; on a loaded machine that takes a while.
  for (let i = 0; i < 100 && allFiles(t.dir).length !== before; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(storedFiles(t.dir).filter((f) => f.includes(sop)).length, 0);
  assert.equal(allFiles(t.dir).filter((f) => f.endsWith('.tmp')).length, 0, 'no temp file left');
  assert.equal(allFiles(t.dir).length, before);
  assert.equal(await storeOne(t.port), 0x0000);
});

test('missing or malformed UIDs are 0xC000 and nothing is written anywhere', async () => {
  const cases: { name: string; command: string; dataset: Parameters<typeof ctDataset>[0] }[] = [
    { name: 'path traversal SOP UID', command: '../../x', dataset: { sop: '../../x' } },
    { name: 'path traversal study UID', command: '1.2.3.99', dataset: { sop: '1.2.3.99', study: '../../x' } },
    { name: 'letters in series UID', command: '1.2.3.98', dataset: { sop: '1.2.3.98', series: '1.2.abc' } },
    { name: 'leading zero component', command: '1.02.3', dataset: { sop: '1.02.3' } },
    { name: 'UID over 64 characters', command: '1.' + '2'.repeat(70), dataset: { sop: '1.' + '2'.repeat(70) } },
    { name: 'empty study UID', command: '1.2.3.97', dataset: { sop: '1.2.3.97', study: '' } },
  ];
  const scu = await connectScu(t.port);
  for (const c of cases) {
    const rsp = await scu.store(CT_IMAGE, c.command, ctDataset(c.dataset));
    assert.equal(rsp.status, 0xc000, c.name);
    assert.ok(rsp.errorComment, `${c.name}: an error comment says why`);
  }
  await scu.release();
  assert.ok(!existsSync(join(t.dir, '..', 'x')) && !existsSync(join(t.dir, '..', 'x.dcm')), 'nothing outside the store');
  assert.equal(allFiles(t.dir).filter((f) => /x\.dcm$|abc|\.\./.test(f)).length, 0);
  assert.equal(await storeOne(t.port), 0x0000);
});

test('a refused C-STORE is logged with the instance, its status and why', async () => {
  const sop = freshUid();
  const scu = await connectScu(t.port);
  const rsp = await scu.store(CT_IMAGE, sop, ctDataset({ sop, study: '1.2.abc' }));
  await scu.release();
  assert.equal(rsp.status, 0xc000);
  const line = logged.find((w) => w.event === 'cstore.failed' && w.fields?.sopInstanceUid === sop);
  assert.ok(line, 'a cstore.failed warning names the instance');
  assert.equal(line.fields!.status, '0xc000');
  assert.equal(line.fields!.comment, 'Study Instance UID missing or malformed');
  assert.equal(line.fields!.sopClassUid, CT_IMAGE);
});

/** A dataset whose private OB fills it up to exactly `end` bytes, then the Study/Series UIDs and Pixel Data. */
function datasetWithOb(sop: string, end: number, study: string): Buffer {
  const head = buildDataset([[0x00080016, 'UI', CT_IMAGE], [0x00080018, 'UI', sop], [0x00080020, 'DA', '20240102']]);
  const ob = buildDataset([[0x00191010, 'OB', new Uint8Array(end - head.length - 12)]]);
  const tail = buildDataset([[0x0020000d, 'UI', study], [0x0020000e, 'UI', `${study}.1`], [0x7fe00010, 'OW', new Uint8Array(512)]]);
  return Buffer.concat([head, ob, tail]);
}

test('found by a dataset review: an element that ends exactly where the first 64 KiB read ends does not hide the Study UID', async () => {
  // The header reader took a prefix that parsed cleanly to its end as "no Study UID": 0xC000.
  const sop = freshUid();
  const study = freshUid();
  const scu = await connectScu(t.port);
  const rsp = await scu.store(CT_IMAGE, sop, datasetWithOb(sop, 64 * 1024, study));
  await scu.release();
  assert.equal(rsp.status, 0x0000, rsp.errorComment);
  assert.equal(storedFiles(t.dir).filter((f) => f.includes(study) && f.endsWith(`${sop}.dcm`)).length, 1);
});

test('the Study/Series UIDs are looked for in the first 8 MiB: found after 6 MiB, 0xC000 after 10 MiB', async () => {
  // Each running store may hold that much of its dataset's start (worker threads × 8 stores run at once).
  const scu = await connectScu(t.port);
  for (const [mb, status] of [[6, 0x0000], [10, 0xc000]] as const) {
    const sop = freshUid();
    const study = freshUid();
    const rsp = await scu.store(CT_IMAGE, sop, datasetWithOb(sop, mb * 1024 * 1024, study));
    assert.equal(rsp.status, status, `${mb} MiB: ${rsp.errorComment}`);
    if (status !== 0x0000) assert.match(String(logged.find((l) => l.fields?.sopInstanceUid === sop)?.fields?.detail), /within the first 8388608 bytes/);
  }
  await scu.release();
});

const DEFLATED = '1.2.840.10008.1.2.1.99';

/** `parts` deflated as one raw stream; a number is that many zero bytes, streamed 1 MiB at a time. */
async function deflate(parts: (Uint8Array | number)[], level: number): Promise<Buffer> {
  const zeros = new Uint8Array(1024 * 1024);
  async function* chunks() {
    for (const p of parts) {
      if (typeof p !== 'number') yield p;
      else for (let left = p; left > 0; left -= zeros.length) yield zeros.subarray(0, Math.min(left, zeros.length));
    }
  }
  return buffer(Readable.from(chunks()).pipe(createDeflateRaw({ level })));
}

test('found by a dataset review: a deflated dataset that inflates to a gigabyte before its UIDs is 0xC000 without inflating it whole', { timeout: 60_000 }, async () => {
  const sop = freshUid();
  const GB = 1024 ** 3;
  const head = buildDataset([[0x00080016, 'UI', CT_IMAGE], [0x00080018, 'UI', sop]]);
  const tail = buildDataset([[0x0020000d, 'UI', '1.2.3'], [0x0020000e, 'UI', '1.2.3.4']]);
  const bomb = await deflate([head, elementHeader(0x00191010, 'OB', GB), GB, tail], 1);
  const peakBefore = process.resourceUsage().maxRSS * 1024;
  const scu = await connectScu(t.port, { contexts: [{ abstractSyntax: CT_IMAGE, transferSyntaxes: [DEFLATED] }] });
  const rsp = await scu.store(CT_IMAGE, sop, bomb);
  await scu.release();
  assert.equal(rsp.status, 0xc000);
  // Whole, it took 1 GB and more; read a bounded prefix at a time, 8 MiB (this process holds the test too).
  const grewMb = (process.resourceUsage().maxRSS * 1024 - peakBefore) / 1e6;
  assert.ok(grewMb < 300, `peak RSS grew ${grewMb.toFixed(0)} MB`);
  assert.equal(await storeOne(t.port), 0x0000);
});

test('a deflated dataset whose Pixel Data packs 1,000:1 is stored: the header reader inflates only its start', { timeout: 60_000 }, async () => {
  // Its first 64 KiB inflate past the reader's 8 MiB limit, so a shorter start is inflated.
  const sop = freshUid();
  const study = freshUid();
  const MB = 1024 * 1024;
  const head = ctDataset({ sop, study }, 0).subarray(0, -12); // all but the empty Pixel Data
  const dataset = await deflate([head, elementHeader(0x7fe00010, 'OW', 100 * MB), 100 * MB], 9);
  const scu = await connectScu(t.port, { contexts: [{ abstractSyntax: CT_IMAGE, transferSyntaxes: [DEFLATED] }] });
  const rsp = await scu.store(CT_IMAGE, sop, dataset);
  await scu.release();
  assert.equal(rsp.status, 0x0000, rsp.errorComment);
  assert.equal(storedFiles(t.dir).filter((f) => f.includes(study)).length, 1);
});

test('a deflated dataset is walked too: one cut short before deflating, or whose stream is cut, is 0xC000 and not stored', async () => {
  const scu = await connectScu(t.port, { contexts: [{ abstractSyntax: CT_IMAGE, transferSyntaxes: [DEFLATED] }] });
  for (const [name, bytes] of [
    ['dataset cut short', async (ds: Buffer) => deflate([ds.subarray(0, ds.length - 100)], 6)],
    ['deflate stream cut short', async (ds: Buffer) => (await deflate([ds], 6)).subarray(0, -8)],
  ] as const) {
    const sop = freshUid();
    const rsp = await scu.store(CT_IMAGE, sop, await bytes(ctDataset({ sop }, 200_000)));
    assert.equal(rsp.status, 0xc000, name);
    assert.match(String(logged.find((l) => l.fields?.sopInstanceUid === sop)?.fields?.detail), /cut short|deflate stream/, name);
    assert.equal(allFiles(t.dir).filter((f) => f.includes(sop)).length, 0, `${name}: nothing stored`);
  }
  const sop = freshUid();
  assert.equal((await scu.store(CT_IMAGE, sop, await deflate([ctDataset({ sop }, 200_000)], 6))).status, 0x0000, 'a whole one is stored');
  await scu.release();
});

test('found by fuzzing the network: a command split over two TCP reads is read whole', async () => {
  // Its first part was kept as a view of the read buffer every socket shares, which the next
  // read (of any association) overwrote: a valid C-ECHO-RQ got A-ABORT, or another peer's bytes.
  const VERIFICATION = '1.2.840.10008.1.1';
  const scu = await connectScu(t.port);
  const pcId = scu.contextFor(VERIFICATION).id;
  for (const [i, cut] of [20, 50].entries()) {
    const command = encodeCommand({ commandField: CommandField.CEchoRq, messageId: 100 + i, affectedSopClassUid: VERIFICATION, hasDataset: false });
    const pdu = encodePdu({ type: PduType.PData, pdvs: [{ presentationContextId: pcId, isCommand: true, isLast: true, data: command }] });
    scu.send(pdu.subarray(0, cut));
    await sleep(50); // two reads on the SCP's side
    scu.send(pdu.subarray(cut));
    const rsp = await scu.nextPdu();
    assert.equal(rsp.type, PduType.PData, `split at ${cut}: answered, not aborted`);
    const answer = decodeCommand(rsp.type === PduType.PData ? rsp.pdvs[0]!.data : new Uint8Array());
    assert.equal(answer.messageIdBeingRespondedTo, 100 + i);
    assert.equal(answer.status, 0x0000);
  }
  await scu.release();
});

test('found by fuzzing the network: empty fragments cannot finish a half-sent command or follow a whole one', async () => {
  // Empty PDVs skipped the checks made on fragments with data: an empty last dataset fragment
  // after half a command was taken as a finished message, and the command dropped unanswered.
  const sop = freshUid();
  const command = encodeCommand({ commandField: 1, messageId: 1, affectedSopClassUid: CT_IMAGE, affectedSopInstanceUid: sop, priority: 0, hasDataset: true });
  const empty = new Uint8Array(0);
  const cases = [
    (pcId: number) => [{ presentationContextId: pcId, isCommand: true, isLast: false, data: command.subarray(0, 20) }, { presentationContextId: pcId, isCommand: false, isLast: true, data: empty }],
    (pcId: number) => [{ presentationContextId: pcId, isCommand: true, isLast: true, data: command }, { presentationContextId: pcId, isCommand: true, isLast: true, data: empty }],
  ];
  for (const pdvs of cases) {
    const scu = await connectScu(t.port);
    scu.send(encodePdu({ type: PduType.PData, pdvs: pdvs(scu.contextFor(CT_IMAGE).id) }));
    // This SCP's network timeout would abort too, but with reason 0 (not specified).
    assert.deepEqual(await scu.nextPdu(), { type: PduType.Abort, source: 2, reason: AbortReason.UnexpectedPduParameter });
    scu.close();
  }
  assert.equal(await storeOne(t.port), 0x0000);
});

test('a dataset that is not DICOM at all is 0xC000', async () => {
  const scu = await connectScu(t.port);
  const rsp = await scu.store(CT_IMAGE, '1.2.3.4.77', Buffer.from('this is not a dataset, only some text of even length'));
  assert.equal(rsp.status, 0xc000);
  await scu.release();
});

test('found by a dataset review: a dataset that does not add up after its header is 0xC000 and nothing is stored', async () => {
  // Only the header was parsed, so these were acknowledged and stored as sent (storescp aborted
  // the association for three of them), to fail later at import.
  const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
  const scu = await connectScu(t.port, {
    contexts: [
      { abstractSyntax: CT_IMAGE, transferSyntaxes: [EXPLICIT_LE] },
      { abstractSyntax: '1.2.840.10008.5.1.4.1.1.7', transferSyntaxes: [JPEG_BASELINE] },
    ],
  });
  const cut = (ds: Buffer, n: number) => ds.subarray(0, ds.length - n);
  const cases: { name: string; sopClass?: string; dataset: (sop: string) => Buffer; detail: RegExp }[] = [
    { name: 'cut inside Pixel Data', dataset: (sop) => cut(ctDataset({ sop }, 1000), 100), detail: /cut short/ },
    { name: 'cut inside Pixel Data, streamed', dataset: (sop) => cut(ctDataset({ sop }, 3_000_000), 10), detail: /cut short/ },
    { name: 'bytes after the last element', dataset: (sop) => Buffer.concat([ctDataset({ sop }), Buffer.from('xyz')]), detail: /after the last element/ },
    {
      name: 'Pixel Data of defined length on JPEG',
      sopClass: '1.2.840.10008.5.1.4.1.1.7',
      dataset: (sop) => ctDataset({ sop, sopClass: '1.2.840.10008.5.1.4.1.1.7' }),
      detail: /Pixel Data of defined length/,
    },
  ];
  for (const c of cases) {
    const sop = freshUid();
    const rsp = await scu.store(c.sopClass ?? CT_IMAGE, sop, c.dataset(sop));
    assert.equal(rsp.status, 0xc000, c.name);
    assert.equal(rsp.errorComment, 'dataset malformed', c.name);
    const line = logged.find((l) => l.event === 'cstore.failed' && l.fields?.sopInstanceUid === sop);
    assert.match(String(line?.fields?.detail), c.detail, c.name);
    assert.equal(allFiles(t.dir).filter((f) => f.includes(sop)).length, 0, `${c.name}: nothing stored`);
  }
  const sop = freshUid();
  assert.equal((await scu.store(CT_IMAGE, sop, ctDataset({ sop }))).status, 0x0000, 'the association goes on');
  await scu.release();
});

test('a dataset whose UIDs differ from the command is 0xA900', async () => {
  const scu = await connectScu(t.port);
  const rsp = await scu.store(CT_IMAGE, freshUid(), ctDataset({ sop: freshUid() }));
  assert.equal(rsp.status, 0xa900);
  const cls = freshUid();
  const rsp2 = await scu.store(CT_IMAGE, cls, ctDataset({ sop: cls, sopClass: '1.2.840.10008.5.1.4.1.1.4' }));
  assert.equal(rsp2.status, 0xa900);
  await scu.release();
  assert.equal(await storeOne(t.port), 0x0000);
});

test('a client that connects and sends nothing is closed at the network timeout', async () => {
  const scu = await Scu.raw('127.0.0.1', t.port);
  const started = Date.now();
  await expectAbort(scu);
  assert.ok(Date.now() - started >= 400, 'not before the timeout');
  assert.equal(await storeOne(t.port), 0x0000);
});

test('a message that stops progressing is aborted at the DIMSE timeout', async () => {
  const scu = await connectScu(t.port);
  const sop = freshUid();
  const pcId = scu.beginStore(CT_IMAGE, sop);
  scu.sendDataset(pcId, ctDataset({ sop }).subarray(0, 100), false);
  await expectAbort(scu);
  assert.equal(storedFiles(t.dir).filter((f) => f.includes(sop)).length, 0);
  assert.equal(await storeOne(t.port), 0x0000);
});

test('an idle association is kept while its C-STORE is being stored, then timed out when idle', async () => {
  // The timers never count time we spend working: a stored instance is answered even when
  // storing takes longer than the timeouts (here: a 20 MB instance with 0.5 s timeouts).
  const scu = await connectScu(t.port);
  const sop = freshUid();
  const rsp = await scu.store(CT_IMAGE, sop, ctDataset({ sop }, 20_000_000));
  assert.equal(rsp.status, 0x0000);
  await expectAbort(scu);
});

test('found by fuzzing the network: a shorter DIMSE timeout applies as soon as a message starts', { timeout: 30_000 }, async () => {
  // The timer was armed for the 20 s network limit while idle and only looked again then.
  await withOwnScp(['--network-timeout', '20', '--dimse-timeout', '0.5'], async (port) => {
    const scu = await connectScu(port);
    const sop = freshUid();
    scu.sendDataset(scu.beginStore(CT_IMAGE, sop), ctDataset({ sop }).subarray(0, 100), false);
    await expectAbort(scu); // the SCU gives up waiting after 15 s
  });
});

test('found by fuzzing the network: a shorter network timeout applies as soon as a message is answered', { timeout: 30_000 }, async () => {
  // The timer fired mid-message and was re-armed for the 20 s DIMSE limit, which then also
  // bounded the idle association after the answer.
  await withOwnScp(['--network-timeout', '0.5', '--dimse-timeout', '20'], async (port) => {
    const scu = await connectScu(port);
    const sop = freshUid();
    const dataset = ctDataset({ sop }, 4000);
    const pcId = scu.beginStore(CT_IMAGE, sop);
    for (let p = 0; p < 3000; p += 1000) {
      scu.sendDataset(pcId, dataset.subarray(p, p + 1000), false);
      await sleep(300); // progress within the DIMSE limit, past the network one
    }
    scu.sendDataset(pcId, dataset.subarray(3000));
    assert.equal((await scu.nextPdu()).type, PduType.PData);
    await expectAbort(scu); // the SCU gives up waiting after 15 s
  });
});

test('an event loop that stalls past the timeout does not blame a peer whose PDU waits in the socket', async () => {
  // Timers run before the reads queued behind them: after a stall (GC, a starved CPU) the
  // timeout is due, yet the peer's C-ECHO-RQ already sits in the socket buffer.
  const scu = await connectScu(t.port);
  await new Promise((r) => setTimeout(r, 300));
  // In the check phase, so that the next loop turn starts with the due timers, not the reads.
  await new Promise((r) => setImmediate(r));
  const echo = scu.echo(); // written to the kernel at once
  for (const until = Date.now() + 800; Date.now() < until; ); // this process stalls past the 0.5 s limit
  assert.equal(await echo, 0x0000);
  await scu.release();
});

test('a flood of tiny elements before the Study/Series UIDs is 0xC000, without re-parsing megabytes', async () => {
  // 150,000 empty LO elements (8 bytes each) in private groups 0009-0011, then the UIDs.
  const sop = freshUid();
  const tiny: Buffer[] = [];
  for (let group = 0x0009; group <= 0x0011 && tiny.length < 150_000; group += 2) {
    for (let element = 0x1000; element <= 0xffff && tiny.length < 150_000; element++) {
      tiny.push(elementHeader((group << 16) | element, 'LO', 0));
    }
  }
  const head = buildDataset([[0x00080016, 'UI', CT_IMAGE], [0x00080018, 'UI', sop]]);
  const tail = buildDataset([[0x0020000d, 'UI', '1.2.3'], [0x0020000e, 'UI', '1.2.3.4']]);
  const scu = await connectScu(t.port);
  const rsp = await scu.store(CT_IMAGE, sop, Buffer.concat([head, ...tiny, tail]));
  assert.equal(rsp.status, 0xc000);
  await scu.release();
  assert.equal(await storeOne(t.port), 0x0000);
});
