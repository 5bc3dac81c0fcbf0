import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { once } from 'node:events';
import { test } from 'node:test';
import { DatasetSource } from '../src/dataset-source.ts';
import type { StreamMessage } from '../src/contracts.ts';

test('a port chunk is acknowledged when the next one is asked for, and keep() copies only port chunks', async () => {
  const { port1, port2 } = new MessageChannel();
  const acks: number[] = [];
  port1.on('message', (m: { bytes: number }) => acks.push(m.bytes));
  const inline = new Uint8Array([1, 2, 3]);
  const source = new DatasetSource([inline], port2);
  const send = (m: StreamMessage) => port1.postMessage(m);
  try {
    const first = await source.next();
    assert.equal(first, inline);
    assert.equal(source.keep(first!), inline, 'task chunks live until the task settles');
    send({ type: 'chunk', data: new Uint8Array([4, 5]) });
    send({ type: 'chunk', data: new Uint8Array([6, 7, 8, 9]) });
    send({ type: 'end' });
    const second = (await source.next())!;
    const kept = source.keep(second);
    assert.notEqual(kept, second);
    assert.deepEqual([...kept], [4, 5]);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(acks, [], 'nothing acknowledged while the chunk may still be in use');
    assert.deepEqual([...(await source.next())!], [6, 7, 8, 9]);
    assert.equal(await source.next(), undefined);
    while (acks.length < 2) await once(port1, 'message');
    assert.deepEqual(acks, [2, 4]);
  } finally {
    source.close();
    port1.close();
  }
});
