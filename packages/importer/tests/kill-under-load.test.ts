/**
 * SIGKILL during load (issue 6): no partial object under a final key, and the sweeper imports
 * every acknowledged instance, once. Counts: sent, acknowledged, stored, imported, and
 * acknowledged-but-missing, which must be zero.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startLocalStack } from '../src/index.ts';
import { connectScu, ctDataset, CT_IMAGE, freshUid, spawnScp } from '../../scp-core/tests/helpers.ts';

const quiet = () => {};

test('SIGKILL while 20 associations store: nothing partial, and every acknowledged instance is imported once', { timeout: 150_000 }, async () => {
  const stack = await startLocalStack({
    dataDir: mkdtempSync(join(tmpdir(), 'kill-load-')),
    scpArgs: ['--port', '0', '--http-port', '-1', '--host', '127.0.0.1', '--log-level', 'silent'],
    pipeline: { emulator: { startRate: { perSecond: 50, burst: 50 } }, waitMs: 50, retryIntervalMs: 100, pollIntervalMs: 300, log: quiet, metrics: quiet },
  });
  try {
    const scp = await spawnScp(['--storage', `s3://${stack.bucket}`, '--s3-endpoint', stack.s3.endpoint, '--s3-region', 'us-east-1']);
    const acknowledged: string[] = [];
    let sent = 0;
    const senders = Array.from({ length: 20 }, async () => {
      const scu = await connectScu(scp.port);
      for (;;) {
        const sop = freshUid();
        sent++;
        try {
          if ((await scu.store(CT_IMAGE, sop, ctDataset({ sop }, 200_000))).status === 0) acknowledged.push(sop);
        } catch {
          return; // killed: never acknowledged
        }
      }
    });
    for (let i = 0; i < 600 && acknowledged.length < 100; i++) await new Promise((r) => setTimeout(r, 50));
    scp.child.kill('SIGKILL');
    await scp.exited;
    await Promise.all(senders);
    assert.ok(acknowledged.length > 0);

    const s3 = new S3Client({ endpoint: stack.s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const objects = ((await s3.send(new ListObjectsV2Command({ Bucket: stack.bucket }))).Contents ?? []).filter((o) => o.Key!.endsWith('.dcm'));
    const sizes = new Map(objects.map((o) => [o.Key!.slice(o.Key!.lastIndexOf('/') + 1, -4), o.Size ?? 0]));
    // Every acknowledged object is whole. (Real S3 refuses a PUT whose body falls short of its
    // Content-Length; s3rver keeps what it got when a killed client's upload breaks off, so an
    // unacknowledged object here may be short. Nothing acknowledged can be.)
    assert.deepEqual(acknowledged.filter((u) => (sizes.get(u) ?? 0) <= 200_000), [], 'acknowledged objects are whole');
    const stored = new Set(sizes.keys());

    await stack.pipeline.sweep(new Date(Date.now() + 3_600_000));
    for (let i = 0; i < 100; i++) {
      await stack.pipeline.scanManifests();
      await stack.pipeline.whenIdle();
      if (![...stack.pipeline.executions.values()].some((e) => e.status === 'RUNNING')) break;
    }
    const sets = stack.pipeline.emulator.imageSetViews();
    const imported = sets.flatMap((s) => s.sopInstanceUIDs);
    const missing = acknowledged.filter((u) => !stored.has(u) || !imported.includes(u));
    process.stdout.write(`# ${JSON.stringify({ sent, acknowledged: acknowledged.length, stored: stored.size, imported: imported.length, acknowledgedButMissing: missing.length })}\n`);
    assert.deepEqual(missing, []);
    assert.equal(new Set(imported).size, imported.length, 'nothing imported twice');
  } finally {
    await stack.stop();
  }
});
