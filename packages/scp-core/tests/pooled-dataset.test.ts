/**
 * A dataset lends its staging buffer to the socket (readTarget) so fragments land without a
 * copy. These tests pin the ownership rules that keeps safe, against a stand-in pool: bytes
 * read in place are sent as views around the PDU headers, never copied; a stage is transferred
 * only after the read being parsed is done with it; a stage the socket may still read into is
 * never recycled before readDone().
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TransferListItem } from 'node:worker_threads';
import type { StoreResult, StoreTask, StreamMessage } from '@storescp/workers/contracts';
import { ByteBudget } from '../src/pool/byte-budget.ts';
import { PooledDataset } from '../src/pool/pooled-dataset.ts';
import { ReadGate } from '../src/pool/read-gate.ts';
import { StagePool } from '../src/pool/stage-pool.ts';
import type { StorePool } from '../src/pool/store-pool.ts';
import type { FlowControl, StoreRequest } from '../src/services/store-service.ts';

const STAGE = 256 * 1024;

function standInPool() {
  const runs: { task: StoreTask; transfer: TransferListItem[]; answer: (r: StoreResult) => void }[] = [];
  const stages = new StagePool(16 * STAGE);
  const pool = {
    budget: new ByteBudget(64 * STAGE, 32 * STAGE),
    stages,
    readGate: new ReadGate(() => false),
    options: { stageBytes: STAGE, streamStageBytes: 2 * STAGE },
    log: { error() {} },
    enqueue: (ds: PooledDataset) => ds.start(),
    unqueue() {},
    releaseSlot() {},
    run(task: StoreTask, transfer: TransferListItem[]): Promise<StoreResult> {
      return new Promise((answer) => runs.push({ task, transfer, answer }));
    },
  };
  return { pool: pool as unknown as StorePool, runs, stages };
}

const request: StoreRequest = {
  association: { callingAeTitle: 'A', calledAeTitle: 'B', peerAddress: '127.0.0.1:1' },
  batch: { batchId: 'b', timestamp: 1 },
  affectedSopClassUid: '1.2',
  affectedSopInstanceUid: '1.2.3',
  transferSyntaxUid: '1.2.840.10008.1.2.1',
};
const flow: FlowControl = { pause() {}, resume() {} };
const settle = () => new Promise<void>((r) => setTimeout(r, 20));

/**
 * A dataset past the whole-dataset size, streaming to its (stand-in) worker, and the messages on
 * its port. Its first 1100 KiB are copied (as from the shared read buffer), leaving 76 KiB in a
 * fifth 256 KiB stage, whose tail the socket then reads into.
 */
async function streaming(pool: StorePool, runs: ReturnType<typeof standInPool>['runs']) {
  const ds = new PooledDataset(pool, request, flow);
  assert.equal(ds.readTarget(), undefined, 'a dataset that may still go whole lends nothing');
  ds.write(new Uint8Array(1100 * 1024));
  await settle();
  const port = runs.at(-1)!.task.port!;
  const chunks: Uint8Array[][] = [];
  const types: string[] = [];
  port.on('message', (m: StreamMessage) => {
    types.push(m.type);
    if (m.type === 'chunk') chunks.push(m.parts);
  });
  return { ds, port, chunks, types };
}

test('fragments read into the lent stage are sent in place, as views around the headers between them', async () => {
  const { pool, runs } = standInPool();
  const { ds, port, chunks, types } = await streaming(pool, runs);
  const target = ds.readTarget()!;
  assert.equal(target.byteOffset, 76 * 1024, 'the read lands after the bytes already there');
  // One read: a 12-byte PDU+PDV header, 1000 bytes, another header, 3000 bytes.
  ds.write(target.subarray(12, 1012));
  ds.write(target.subarray(1024, 4024));
  ds.end();
  assert.equal(target.buffer.byteLength, STAGE, 'nothing is transferred while the read is being parsed');
  await settle();
  port.close();
  assert.deepEqual(types, ['chunk', 'end']);
  assert.deepEqual(
    chunks[0]!.map((d) => [d.byteOffset, d.length]),
    [
      [0, 76 * 1024],
      [76 * 1024 + 12, 1000],
      [76 * 1024 + 1024, 3000],
    ],
    'one message for the stage: the copied bytes and the views read in place',
  );
});

test('adjacent in-place fragments (a PDU split over two reads) become one view', async () => {
  const { pool, runs } = standInPool();
  const { ds, port, chunks } = await streaming(pool, runs);
  const first = ds.readTarget()!;
  const at = first.byteOffset; // read now: a transferred buffer's views report 0
  ds.write(first.subarray(12, 5000));
  ds.readDone();
  const second = ds.readTarget()!;
  assert.equal(second.byteOffset, at + 5000, 'the next read goes on after the bytes kept');
  ds.write(second.subarray(0, 3000));
  ds.end();
  await settle();
  port.close();
  assert.deepEqual(
    chunks[0]!.slice(1).map((d) => [d.byteOffset - at, d.length]),
    [[12, 7988]],
  );
});

test("the next dataset's first bytes, read into the previous one's stage, are copied into its own", async () => {
  const { pool, runs } = standInPool();
  const { ds: a, port, chunks } = await streaming(pool, runs);
  const target = a.readTarget()!;
  target.set([1, 2, 3, 4], 100);
  target.set([9, 8, 7], 200);
  a.write(target.subarray(100, 104));
  a.end();
  const b = new PooledDataset(pool, request, flow);
  b.write(target.subarray(200, 203)); // still readable: a's transfer waits for the read to be parsed
  b.end();
  a.readDone();
  await settle();
  port.close();
  assert.deepEqual([...chunks[0]!.at(-1)!], [1, 2, 3, 4]);
  const bData = runs.at(-1)!.task.data;
  assert.deepEqual([...bData[0]!], [9, 8, 7]);
  assert.notEqual(bData[0]!.buffer, chunks[0]![0]!.buffer);
});

test('a stage the socket may still read into is recycled only after readDone()', async () => {
  const { pool, runs, stages } = standInPool();
  const { ds, port } = await streaming(pool, runs);
  const target = ds.readTarget()!;
  ds.write(target.subarray(12, 100));
  // The worker answers before the dataset ends (a storage failure): the dataset is done.
  runs[0]!.answer({ status: 0xa700, comment: 'storage write failed' });
  await settle();
  port.close();
  const idle = stages.idleStages;
  assert.equal(ds.readTarget(), undefined, 'a finished dataset lends nothing more');
  ds.readDone();
  assert.equal(stages.idleStages, idle + 1, 'its stage is recycled once the socket reads elsewhere');
});
