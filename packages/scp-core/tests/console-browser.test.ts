/**
 * The console in a real browser (Debian's chromium driven by playwright-core) while dcmtk's
 * storescu sends a study to the local stack: the association, the throughput chart's data and
 * the import job the study produced all appear. A screenshot is kept in .test-artifacts/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { startLocalStack } from '../../importer/src/index.ts';
import { CT_IMAGE, EXPLICIT_LE, REPO, buildDataset, ctDataset, dcmtk, freshUid } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
// Without the background-networking flags chromium keeps calling home, which a closed network punishes.
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = join(REPO, '.test-artifacts');
const CALLING_AE = 'CONSOLE_CT';
// Enough instances that the association stays open over several of the page's one-second polls.
const INSTANCES = 200;
const PIXEL_BYTES = 256 * 1024;

/** A CT study as Part 10 files, the way a modality would export it. */
function writeStudy(dir: string, study: string): void {
  const series = freshUid();
  for (let i = 0; i < INSTANCES; i++) {
    const sop = freshUid();
    const meta = buildDataset([
      [0x00020001, 'OB', new Uint8Array([0, 1])],
      [0x00020002, 'UI', CT_IMAGE],
      [0x00020003, 'UI', sop],
      [0x00020010, 'UI', EXPLICIT_LE],
    ]);
    const groupLength = Buffer.alloc(4);
    groupLength.writeUInt32LE(meta.length);
    const header = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), buildDataset([[0x00020000, 'UL', groupLength]]), meta]);
    writeFileSync(join(dir, `CT_${i}.dcm`), Buffer.concat([header, ctDataset({ sop, study, series }, PIXEL_BYTES)]));
  }
}

test('the console shows the association, the throughput and the import job while storescu sends a study to the local stack', { timeout: 180_000 }, async () => {
  assert.ok(existsSync(CHROMIUM), `Debian's chromium is needed at ${CHROMIUM} for the console's browser test: apt-get install -y chromium (.ci/run and the test runner install it when root)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'console-browser-'));
  const studyDir = join(dataDir, 'study');
  mkdirSync(studyDir);
  const study = freshUid();
  writeStudy(studyDir, study);
  const quiet = () => {};
  const stack = await startLocalStack({
    dataDir: join(dataDir, 'stack'),
    scpArgs: ['--port', '0', '--http-port', '0', '--host', '127.0.0.1', '--log-level', 'silent', '--worker-threads', '2'],
    pipeline: { waitMs: 50, retryIntervalMs: 200, pollIntervalMs: 300, log: quiet, metrics: quiet },
  });
  const browser = await chromium.launchPersistentContext(join(dataDir, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  try {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => msg.type() === 'error' && pageErrors.push(msg.text()));
    await page.goto(`http://127.0.0.1:${stack.scp.httpPort}/console`);
    await page.locator('#status.ok').waitFor({ timeout: 10_000 });

    const storescu = () => dcmtk('storescu', ['-aet', CALLING_AE, '-aec', stack.scp.config.aeTitle, '127.0.0.1', String(stack.scp.port), '+sd', studyDir], 120_000);
    const association = page.locator(`#associations tr[data-calling-ae="${CALLING_AE}"]`);
    const send = storescu();
    await association.waitFor({ timeout: 30_000 });
    assert.match((await association.textContent()) ?? '', /127\.0\.0\.1:\d+/);
    const sent = await send;
    assert.equal(sent.code, 0, sent.stderr);

    const chart = page.locator('#throughput-chart');
    // A string, evaluated in the page: this file is type-checked without the DOM library.
    await page.waitForFunction("Number(document.getElementById('throughput-chart').dataset.peakInstances) > 0", undefined, { timeout: 10_000 });
    assert.ok(Number(await chart.getAttribute('data-points')) > 1);
    await page.locator('#statuses tr[data-status="0x0000"]').waitFor({ timeout: 10_000 });

    const job = page.locator('#jobs tr[data-job-status="COMPLETED"]', { hasText: study });
    await job.waitFor({ timeout: 90_000 });
    assert.match((await job.textContent()) ?? '', new RegExp(`${study}.*${INSTANCES}`));
    assert.match((await page.locator('#config').textContent()) ?? '', /STORESCP/);

    // The screenshot (also the README's) shows everything at once: the study sent again is on the
    // wire while the first send's import job is listed.
    const again = storescu();
    await association.waitFor({ timeout: 30_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'console.png'), fullPage: true });
    assert.equal((await again).code, 0);
    assert.deepEqual(pageErrors, []);
  } finally {
    await browser.close();
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});
