/** The console's arithmetic: rates from once-a-second samples, percentiles over a window, URLs without credentials. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withoutCredentials } from '../src/console/config-view.ts';
import { quantile } from '../src/console/histogram-quantile.ts';
import { MetricsSampler } from '../src/console/metrics-sampler.ts';
import { createMetrics } from '../src/metrics/registry.ts';

test('quantiles interpolate inside the bucket, as histogram_quantile does', () => {
  const b = { le: [0.01, 0.1, 1, Infinity], counts: [50, 90, 100, 100] };
  assert.equal(quantile(0.5, b), 0.01);
  assert.ok(Math.abs(quantile(0.7, b)! - 0.055) < 1e-12);
  assert.ok(Math.abs(quantile(0.99, b)! - 0.91) < 1e-12);
  assert.equal(quantile(0.5, { le: [1, Infinity], counts: [0, 0] }), undefined);
  assert.equal(quantile(0.99, { le: [1, Infinity], counts: [0, 4] }), 1, 'past the last bound: the bound');
});

test('rates come from successive samples; latency covers only the window, stored counts only success and warnings', async () => {
  const metrics = createMetrics();
  const sampler = new MetricsSampler(metrics, { intervalMs: 1000, capacity: 5 });
  const t0 = 1_000_000;
  for (let i = 0; i < 10; i++) metrics.cstoreLatency.observe(2);
  await sampler.sample(t0);
  metrics.cstores.inc({ status: '0x0000' }, 8);
  metrics.cstores.inc({ status: '0xb000' }, 2);
  metrics.cstores.inc({ status: '0xa700' }, 5);
  metrics.bytesReceived.inc(3_000_000);
  await sampler.sample(t0 + 2000);
  assert.deepEqual(sampler.throughput(), [{ t: t0 + 2000, instancesPerSecond: 5, megabytesPerSecond: 1.5 }]);

  for (let i = 0; i < 10; i++) metrics.cstoreLatency.observe(0.004);
  await sampler.sample(t0 + 70_000);
  const recent = sampler.latency(60);
  assert.equal(recent.count, 10, 'the slow stores before the window are not counted');
  assert.ok(recent.p99Ms! <= 5, JSON.stringify(recent));
  assert.equal(sampler.latency(600).count, 20, 'no sample is older than the window: everything since start');

  for (let i = 0; i < 10; i++) await sampler.sample(t0 + 71_000 + i * 1000);
  assert.equal(sampler.throughput().length, 4, 'the window keeps `capacity` samples');
});

test('URLs lose user:password@ and any query; other settings pass unchanged', () => {
  assert.equal(withoutCredentials('http://AKIA:secret@minio:9000/path?X-Amz-Signature=abc#frag'), 'http://minio:9000/path');
  assert.equal(withoutCredentials('s3://bucket/prefix/'), 's3://bucket/prefix/');
  assert.equal(withoutCredentials('file://./data'), 'file://./data');
  assert.equal(withoutCredentials(''), '');
});
