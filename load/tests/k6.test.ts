/**
 * k6 cannot run here, so the bundles k6 would run are run in Node instead, with `k6`,
 * `k6/metrics` and `k6/x/net` stood in for by small modules over node:net: the same bytes the
 * k6 scripts would send reach our SCP, which must store every instance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig, startScp } from '@storescp/scp-core';
import { SCRIPTS, bundleK6Scripts } from '../k6/bundle.ts';

// Stand-ins for the k6 modules the bundles import. Metrics land in globalThis.k6Metrics.
const STUBS: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'k6', type: 'module', exports: { '.': './index.js', './metrics': './metrics.js', './x/net': './x-net.js' } }),
  'index.js': `export const check = (v, checks) => Object.values(checks).every((c) => c(v)); export const sleep = () => {};`,
  'metrics.js': `
    const record = (kind) => class { constructor(name) { this.name = name; } add(value, tags) { (globalThis.k6Metrics ??= []).push({ kind, name: this.name, value, tags }); } };
    export const Trend = record('trend'); export const Counter = record('counter'); export const Rate = record('rate');`,
  // xk6-net's Socket over node:net: connect, on('data'|'error'|'end'), write(ArrayBuffer), close.
  'x-net.js': `
    import nodeNet from 'node:net';
    class Socket {
      handlers = {};
      on(event, handler) { this.handlers[event] = handler; }
      connect(host, port) {
        this.s = nodeNet.connect({ host, port });
        this.s.on('data', (d) => this.handlers.data?.(d.buffer.slice(d.byteOffset, d.byteOffset + d.length)));
        this.s.on('error', (e) => this.handlers.error?.(e));
        this.s.on('end', () => this.handlers.end?.());
      }
      write(data) { if (!(data instanceof ArrayBuffer)) throw new TypeError('xk6-net takes bytes'); this.s.write(new Uint8Array(data)); }
      close() { this.s.destroy(); }
    }
    export default { Socket };`,
};

test('the k6 bundles build, import only k6 modules, and their C-STOREs are stored by our SCP', { timeout: 30_000 }, async (t) => {
  const work = await mkdtemp(path.join(tmpdir(), 'k6-bundle-'));
  const storage = path.join(work, 'storage');
  const scp = await startScp(loadConfig(['--port', '0', '--host', '127.0.0.1', '--http-port', '-1', '--storage', `file://${storage}`, '--log-level', 'silent', '--worker-threads', '2'], {}));
  // One hook, in this order: the SCP writes its batch records while it drains.
  t.after(async () => {
    await scp.drain(5000);
    await rm(work, { recursive: true, force: true });
  });
  const files = await bundleK6Scripts(path.join(work, 'dist'));
  for (const file of files) {
    const imports = [...(await readFile(file, 'utf8')).matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]);
    assert.deepEqual(imports.filter((m) => m !== 'k6' && !m!.startsWith('k6/')), [], `${file} imports only k6 modules`);
  }
  await mkdir(path.join(work, 'node_modules', 'k6'), { recursive: true });
  for (const [name, text] of Object.entries(STUBS)) await writeFile(path.join(work, 'node_modules', 'k6', name), text);

  // 5 MB instances: multi-frame, sent in two flushes (FLUSH_BYTES is 4 MB).
  Object.assign(globalThis, { __ENV: { HOST: '127.0.0.1', PORT: String(scp.port), SIZE_MB: '5', STORES: '3' }, k6Metrics: [] });
  const modules = await Promise.all(SCRIPTS.map((s) => import(pathToFileURL(path.join(work, 'dist', `${s}.js`)).href)));
  for (const m of modules) assert.ok(m.options?.scenarios && typeof m.default === 'function');

  await modules[0].default();
  const metrics = (globalThis as unknown as { k6Metrics: { name: string; value: number | boolean; tags?: Record<string, string> }[] }).k6Metrics;
  const ok = metrics.filter((m) => m.name === 'dicom_store_ok');
  assert.equal(ok.length, 3);
  assert.ok(ok.every((m) => m.value === true && m.tags?.status === '0x0000'));
  assert.equal(metrics.filter((m) => m.name === 'dicom_association_failures').length, 0);
  assert.equal(metrics.filter((m) => m.name === 'dicom_association_setup').length, 1);
  assert.equal((await readdir(storage, { recursive: true })).filter((f) => f.endsWith('.dcm')).length, 3);
});
