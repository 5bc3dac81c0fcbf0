/**
 * readSocket reads every accepted plain TCP socket into one shared buffer (Node's `onread`,
 * reached through private socket fields). These tests pin what the association relies on:
 * the fast path is really taken on this Node, bytes arrive whole and in order on concurrent
 * sockets sharing that buffer, pause() stops reads until resume(), EOF still closes, and a byte
 * count as the next target caps a read.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import { readSocket } from '../src/association/socket-reads.ts';

/** A server that pauses on connect, as the listener does, and reads with readSocket. */
async function serve(onSocket: (socket: net.Socket) => void): Promise<{ server: net.Server; port: number }> {
  const server = net.createServer({ pauseOnConnect: true }, onSocket);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as net.AddressInfo).port };
}

test('concurrent sockets share the read buffer and still receive their own bytes in order', async () => {
  const received = new Map<number, Buffer[]>();
  const fast: boolean[] = [];
  const ended: Promise<unknown>[] = [];
  let next = 0;
  const { server, port } = await serve((socket) => {
    const id = next++;
    const parts: Buffer[] = [];
    received.set(id, parts);
    fast.push(readSocket(socket, (chunk) => parts.push(Buffer.from(chunk)))); // copy: the view is reused
    ended.push(once(socket, 'close'));
    socket.resume();
  });
  try {
    const payloads = Array.from({ length: 4 }, () => randomBytes(3 * 1024 * 1024 + 17));
    await Promise.all(
      payloads.map(async (payload) => {
        const client = net.connect(port, '127.0.0.1');
        await once(client, 'connect');
        for (let p = 0; p < payload.length; p += 100_000) client.write(payload.subarray(p, p + 100_000));
        client.end();
        await once(client, 'close');
      }),
    );
    await Promise.all(ended);
    assert.deepEqual(fast, [true, true, true, true], 'the shared-buffer path is taken on this Node');
    const got = [...received.values()].map((parts) => Buffer.concat(parts));
    for (const payload of payloads) assert.ok(got.some((g) => g.equals(payload)), 'each payload arrives whole and in order');
  } finally {
    server.close();
  }
});

test('pause() stops reads until resume(); the peer\'s end still closes the socket', async () => {
  let bytes = 0;
  let pausedOnce = false;
  let accepted!: net.Socket;
  const { server, port } = await serve((socket) => {
    accepted = socket;
    readSocket(socket, (chunk) => {
      bytes += chunk.length;
      if (bytes >= 1000 && !pausedOnce) {
        pausedOnce = true;
        socket.pause();
      }
    });
    socket.resume();
  });
  try {
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    client.write(Buffer.alloc(1000));
    while (bytes < 1000) await new Promise((r) => setTimeout(r, 5));
    client.write(Buffer.alloc(500));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(bytes, 1000, 'nothing is delivered while paused');
    const closed = once(accepted, 'close');
    client.end();
    accepted.resume();
    await closed;
    assert.equal(bytes, 1500, 'the rest arrives after resume, then EOF closes');
  } finally {
    server.close();
  }
});

test('a byte count as the next target caps each read, into the shared buffer; the rest stays in the socket', async () => {
  const sizes: number[] = [];
  const parts: Buffer[] = [];
  let accepted!: net.Socket;
  const { server, port } = await serve((socket) => {
    accepted = socket;
    readSocket(
      socket,
      (chunk) => {
        sizes.push(chunk.length);
        parts.push(Buffer.from(chunk));
      },
      () => 1024,
    );
    socket.resume();
  });
  try {
    // The target is asked after each read: the first one lands in the whole shared buffer.
    const first = randomBytes(100);
    const payload = randomBytes(200_000);
    const client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    client.write(first);
    while (sizes.length === 0) await new Promise((r) => setTimeout(r, 5));
    const closed = once(client, 'close');
    client.end(payload);
    await once(accepted, 'close');
    await closed;
    assert.ok(sizes.slice(1).every((n) => n <= 1024), `largest read ${Math.max(...sizes.slice(1))} bytes`);
    assert.ok(sizes.length > 200_000 / 1024, `${sizes.length} reads`);
    assert.ok(Buffer.concat(parts).equals(Buffer.concat([first, payload])), 'every byte arrives, in order');
  } finally {
    server.close();
  }
});
