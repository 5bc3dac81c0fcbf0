/**
 * Slow storage under load (issue 6), made for real: a TCP proxy between the SCP and s3rver that
 * lets ~1 MB/s through. Backpressure engages (sockets paused), bytes in flight stay bounded,
 * stores that cannot get a worker in time are answered 0xA700, and nothing acknowledged is lost.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { loadConfig, startScp } from '@storescp/scp-core';
import { startS3rver } from '../src/index.ts';
import { connectScu, ctDataset, CT_IMAGE, freshUid } from '../../scp-core/tests/helpers.ts';

/** Forwards to `target`, pausing each direction long enough to hold it to `bytesPerSecond`. */
function throttlingProxy(target: number, bytesPerSecond: number): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: target });
    for (const [from, to] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(from);
      from.on('data', (chunk: Buffer) => {
        to.write(chunk);
        from.pause();
        setTimeout(() => from.resume(), (chunk.length / bytesPerSecond) * 1000);
      });
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => {
          server.close();
          sockets.forEach((s) => s.destroy());
        },
      }),
    ),
  );
}

test('slow S3: senders are slowed, memory in flight stays bounded, late stores get 0xA700, acknowledged ones are stored', { timeout: 120_000 }, async () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';
  const s3rver = await startS3rver(mkdtempSync(join(tmpdir(), 'slow-s3-')), ['dicom']);
  const proxy = await throttlingProxy(Number(new URL(s3rver.endpoint).port), 1_000_000);
  const scp = await startScp(
    loadConfig(['--port', '0', '--http-port', '-1', '--host', '127.0.0.1', '--log-level', 'silent', '--storage', 's3://dicom', '--s3-endpoint', `http://127.0.0.1:${proxy.port}`, '--s3-region', 'us-east-1', '--worker-threads', '1', '--memory-budget-mb', '4', '--store-wait-timeout', '1'], {}),
    { pool: { tasksPerThread: 2 } },
  );
  let maxPaused = 0;
  let maxInFlight = 0;
  const sampler = setInterval(async () => {
    maxPaused = Math.max(maxPaused, (await scp.metrics.socketsPaused.get()).values[0]?.value ?? 0);
    maxInFlight = Math.max(maxInFlight, (await scp.metrics.bytesInFlight.get()).values[0]?.value ?? 0);
  }, 5);
  try {
    const results = (
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          const scu = await connectScu(scp.port);
          const out: { sop: string; status: number }[] = [];
          for (let i = 0; i < 3; i++) {
            const sop = freshUid();
            out.push({ sop, status: (await scu.store(CT_IMAGE, sop, ctDataset({ sop }, 1_500_000))).status ?? -1 });
          }
          await scu.release();
          return out;
        }),
      )
    ).flat();
    const ok = results.filter((r) => r.status === 0);
    const busy = results.filter((r) => r.status === 0xa700);
    process.stdout.write(`# ${JSON.stringify({ sent: results.length, acknowledged: ok.length, refused: busy.length, maxSocketsPaused: maxPaused, maxBytesInFlight: maxInFlight })}\n`);
    assert.equal(ok.length + busy.length, results.length);
    assert.ok(ok.length > 0 && busy.length > 0, 'some stored, some refused past the bound');
    assert.ok(maxPaused > 0, 'senders were slowed: their sockets paused');
    assert.ok(maxInFlight < 24 * 1024 * 1024, `bytes in flight bounded (peak ${maxInFlight})`);
    const s3 = new S3Client({ endpoint: s3rver.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: 'dicom' }))).Contents ?? []).map((o) => o.Key!);
    assert.deepEqual(ok.filter((r) => !keys.some((k) => k.endsWith(`${r.sop}.dcm`))), [], 'acknowledged but not stored');
  } finally {
    clearInterval(sampler);
    await scp.drain(10_000);
    proxy.close();
    await s3rver.close();
  }
});
