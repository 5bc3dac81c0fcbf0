/**
 * The staging slab is reused across datasets, threads and associations, and the socket reads
 * straight into it: a stage must never be refilled while a worker still reads it, nor read into
 * once it has been handed on. Tiny stages (64 KiB buffering, 128 KiB streaming, a 512 KiB
 * budget) under mixed sizes (whole, streamed, and overflow stages), with PDUs from 4 KiB (many
 * headers inside each stage) to 256 KiB, must store every instance byte for byte as sent.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildDataset, connectScu, CT_IMAGE, datasetOf, freshUid, startTestScp, storedFiles } from './helpers.ts';

const SIZES = [30_000, 300_000, 2_500_000];

/** A CT instance whose pixel data is random: any byte from another dataset would show. */
function randomInstance(sop: string, pixelBytes: number): Buffer {
  return buildDataset([
    [0x00080016, 'UI', CT_IMAGE],
    [0x00080018, 'UI', sop],
    [0x0020000d, 'UI', '1.2.3.4.5'],
    [0x0020000e, 'UI', '1.2.3.4.5.6'],
    [0x7fe00010, 'OB', randomBytes(pixelBytes)],
  ]);
}

for (const maxPdu of [4096, 16384, 262144]) test(`reused staging memory never mixes datasets: every stored instance is the bytes sent (PDUs of ${maxPdu} bytes)`, async () => {
  const t = await startTestScp(['--max-pdu', String(maxPdu)], { pool: { threads: 2, tasksPerThread: 2, budgetBytes: 512 * 1024, stageBytes: 64 * 1024, streamStageBytes: 128 * 1024 } });
  try {
    const sent = new Map<string, Buffer>();
    await Promise.all(
      Array.from({ length: 8 }, async (_, a) => {
        const scu = await connectScu(t.port);
        for (let i = 0; i < 6; i++) {
          const sop = freshUid();
          const dataset = randomInstance(sop, SIZES[(a + i) % SIZES.length]!);
          sent.set(sop, dataset);
          const rsp = await scu.store(CT_IMAGE, sop, dataset);
          assert.equal(rsp.status, 0, `instance ${sop}: status 0x${rsp.status?.toString(16)} ${rsp.errorComment ?? ''}`);
        }
        await scu.release();
      }),
    );
    const files = storedFiles(t.dir);
    assert.equal(files.length, sent.size);
    for (const file of files) {
      const sop = file.slice(file.lastIndexOf('/') + 1, -4);
      assert.ok(datasetOf(readFileSync(file)).equals(sent.get(sop)!), `${sop} stored as sent`);
    }
  } finally {
    await t.stop();
  }
});

test('stream stages of 4 MiB: the window grows with them, so a stage being filled never keeps its socket paused for good', async () => {
  // Against a fixed 6 MiB window, a 4 MiB stage filled past the half window while paused was never acked.
  const t = await startTestScp([], { pool: { streamStageBytes: 4 * 1024 * 1024 } });
  try {
    const scu = await connectScu(t.port, { timeoutMs: 30_000 });
    for (let i = 0; i < 2; i++) {
      const sop = freshUid();
      const dataset = randomInstance(sop, 40 * 1024 * 1024);
      assert.equal((await scu.store(CT_IMAGE, sop, dataset)).status, 0);
      const [file] = storedFiles(t.dir).filter((f) => f.endsWith(`${sop}.dcm`));
      assert.ok(datasetOf(file!).equals(dataset), 'stored as sent');
    }
    await scu.release();
  } finally {
    await t.stop();
  }
});
