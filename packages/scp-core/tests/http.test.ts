/** /healthz for container checks, /metrics exposing every metric of the catalog the dashboard uses. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCP_METRICS } from '../src/index.ts';
import { startTestScp, storeOne } from './helpers.ts';

test('/healthz answers ok, /metrics lists every catalog metric with live values', async () => {
  const t = await startTestScp(['--http-port', '0']);
  try {
    const base = `http://127.0.0.1:${t.scp.httpPort}`;
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok', associations: 0 });
    assert.equal(await storeOne(t.port), 0);
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const m of Object.values(SCP_METRICS)) assert.match(text, new RegExp(`^# TYPE ${m.name} ${m.kind}`, 'm'), m.name);
    assert.match(text, /^storescp_cstore_total\{status="0x0000"\} 1$/m);
    assert.match(text, /^storescp_associations_accepted_total 1$/m);
    assert.equal((await fetch(`${base}/nope`)).status, 404);
  } finally {
    await t.stop();
  }
});
