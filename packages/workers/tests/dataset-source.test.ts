import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { once } from 'node:events';
import { test } from 'node:test';
import { DatasetSource } from '../src/dataset-source.ts';
import type { StreamMessage } from '../src/contracts.ts';

test('the task chunks come first as one group; a port group is acknowledged when the next is asked for; keep() copies only port chunks', async () => {
  const { port1, port2 } = new MessageChannel();
  const acks: number[] = [];
  port1.on('message', (m: { bytes: number }) => acks.push(m.bytes));
  const inline = [new Uint8Array([1, 2, 3]), new Uint8Array([0, 0])];
  const source = new DatasetSource(inline, port2);
  const send = (m: StreamMessage) => port1.postMessage(m);
  try {
    const first = (await source.next())!;
    assert.deepEqual(first, inline);
    assert.equal(source.keep(first[0]!), inline[0], 'task chunks live until the task settles');
    // Two views of one staging buffer, a PDV header's gap between them.
    const stage = new Uint8Array([4, 5, 9, 9, 6]);
    send({ type: 'chunk', parts: [stage.subarray(0, 2), stage.subarray(4)] });
    send({ type: 'chunk', parts: [new Uint8Array([7, 8, 9])] });
    send({ type: 'end' });
    const second = (await source.next())!;
    assert.deepEqual(second.map((c) => [...c]), [[4, 5], [6]]);
    const kept = source.keep(second[0]!);
    assert.notEqual(kept, second[0]);
    assert.deepEqual([...kept], [4, 5]);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(acks, [], 'nothing acknowledged while the group may still be in use');
    assert.deepEqual((await source.next())!.map((c) => [...c]), [[7, 8, 9]]);
    assert.equal(await source.next(), undefined);
    while (acks.length < 2) await once(port1, 'message');
    assert.deepEqual(acks, [3, 3], 'each ack counts the bytes of its parts, not the gap');
  } finally {
    source.close();
    port1.close();
  }
});

test('a dataset that came whole is one group and nothing is acknowledged', async () => {
  const source = new DatasetSource([new Uint8Array([1]), new Uint8Array([2])], undefined);
  assert.equal((await source.next())!.length, 2);
  assert.equal(await source.next(), undefined);
});
