/** The console's JSON API on a real SCP: live state after C-STOREs, the configuration without secrets, the jobs table. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeDocumentClient, makeDynamoClient } from '../../importer/src/aws/clients.ts';
import { JobsTable, createJobsTable, startDynalite, type JobRow } from '../../importer/src/index.ts';
import { loadConfig } from '../src/index.ts';
import { configView } from '../src/console/config-view.ts';
import { CT_IMAGE, connectScu, ctDataset, eventually, freshUid, startTestScp, storeOne } from './helpers.ts';

const getJson = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as any };
};


test('/api/state shows an open association with its instances and bytes, then throughput, latency and answers by status', async () => {
  const t = await startTestScp(['--http-port', '0']);
  try {
    const state = () => getJson(`http://127.0.0.1:${t.scp.httpPort}/api/state`).then((r) => r.body);
    const scu = await connectScu(t.port, { callingAeTitle: 'CONSOLE_TEST' });
    const sop = freshUid();
    assert.equal((await scu.store(CT_IMAGE, sop, ctDataset({ sop }, 4096))).status, 0);
    const open = await state();
    assert.equal(open.associations.length, 1);
    const a = open.associations[0];
    assert.equal(a.callingAeTitle, 'CONSOLE_TEST');
    assert.equal(a.calledAeTitle, 'STORESCP');
    assert.match(a.peerAddress, /^127\.0\.0\.1:\d+$/);
    assert.equal(a.instancesStored, 1);
    assert.ok(a.bytesReceived > 4096);
    assert.ok(a.durationMs >= 0);
    assert.deepEqual(a.statuses, { '0x0000': 1 });
    await scu.release();
    assert.equal(await storeOne(t.port), 0);

    // Rate × interval summed over the chart is the number of instances stored. Each rate is over
    // the time since the point before, which a loaded machine stretches past the nominal second.
    const charted = (s: any) =>
      s.throughput.points.reduce((n: number, p: any, i: number, all: any[]) => n + (p.instancesPerSecond * (i > 0 ? p.t - all[i - 1].t : s.throughput.intervalMs)) / 1000, 0);
    const after = await eventually(state, (s) => charted(s) > 1.95, 10_000, 200); // the sampler ticks once a second
    assert.ok(charted(after) < 2.05);
    assert.equal(after.associations.length, 0);
    assert.deepEqual(after.statuses, { '0x0000': 2 });
    assert.ok(after.throughput.points.some((p: any) => p.megabytesPerSecond > 0));
    assert.equal(after.latency.count, 2);
    assert.ok(after.latency.p50Ms > 0 && after.latency.p99Ms >= after.latency.p50Ms, JSON.stringify(after.latency));
    assert.deepEqual(Object.keys(after.pool).sort(), ['bytesInFlight', 'queueDepth', 'utilization']);
    assert.equal(after.socketsPaused, 0);
  } finally {
    await t.stop();
  }
});

test('/api/config shows the configuration in force and no secret: no token, no credentials or query in URLs', async () => {
  const secrets = ['tok-Console-Secret', 'AKIAEXAMPLEKEY', 'wJalrSecretKey', 'X-Amz-Signature', 'sig-abc'];
  const t = await startTestScp([
    '--http-port', '0',
    '--ae-title', 'CONSOLE_AE',
    '--max-associations', '7',
    '--console-token', 'tok-Console-Secret',
    '--s3-endpoint', 'http://AKIAEXAMPLEKEY:wJalrSecretKey@127.0.0.1:9/?X-Amz-Signature=sig-abc',
  ]);
  try {
    const res = await fetch(`http://127.0.0.1:${t.scp.httpPort}/api/config`, { headers: { authorization: 'Bearer tok-Console-Secret' } });
    assert.equal(res.status, 200);
    const text = await res.text();
    for (const s of secrets) assert.ok(!text.includes(s), `${s} leaked: ${text}`);
    const c = JSON.parse(text);
    assert.equal(c.aeTitle, 'CONSOLE_AE');
    assert.equal(c.dicom, `127.0.0.1:${t.port}`);
    assert.equal(c.limits.maxAssociations, 7);
    assert.equal(c.storage, `file://${t.dir}`);
    assert.equal(c.s3Endpoint, 'http://127.0.0.1:9/');
    assert.equal(c.consoleTokenRequired, true);
  } finally {
    await t.stop();
  }
});

test('the configuration view shows TLS as on or off, never the key, certificate or CA files', () => {
  const config = { ...loadConfig(['--console-token', 'tok-Hidden'], {}), tlsKey: '/secret/key.pem', tlsCert: '/secret/cert.pem', tlsCa: '/secret/ca.pem' };
  const view = configView(config, { dicom: 11112, http: 8080 });
  assert.equal(view.tls, 'on, client certificate required');
  const text = JSON.stringify(view);
  for (const s of ['/secret/', 'tok-Hidden']) assert.ok(!text.includes(s), `${s} leaked: ${text}`);
});

const job = (jobId: string, batchId: string, study: string, submittedAt: string, extra: Partial<JobRow> = {}): JobRow => ({
  jobId,
  jobStatus: 'COMPLETED',
  submittedAt,
  inputS3Uri: `s3://dicom/2026/11/22/1/${study}/`,
  outputS3Uri: 's3://dicom/_import-results/',
  datastoreId: 'a'.repeat(32),
  dataAccessRoleArn: 'arn:aws:iam::123456789012:role/HealthImagingImport',
  studyDate: '20261122',
  studyInstanceUID: study,
  endedAt: '2026-11-22T10:05:00.000Z',
  message: '',
  batchId,
  instanceCount: 3,
  bytes: 3000,
  numberOfScannedFiles: 3,
  numberOfImportedFiles: 3,
  numberOfFilesWithCustomerError: 0,
  numberOfFilesWithServerError: 0,
  ...extra,
});

test('/api/jobs reads the real jobs table: recent batches with their jobs and failed files, and a search by StudyInstanceUID', async () => {
  const dynamo = await startDynalite();
  const client = makeDynamoClient({ endpoint: dynamo.endpoint });
  await createJobsTable(client, 'DicomImportJobTable');
  const table = new JobsTable(makeDocumentClient(client), 'DicomImportJobTable');
  await table.put(job('job-a', 'batch-1', '1.2.3', '2026-11-22T10:00:01.000Z'));
  await table.put(job('job-b', 'batch-1', '1.2.4', '2026-11-22T10:00:02.000Z'));
  await table.put(
    job('job-c', 'batch-2', '1.2.3', '2026-11-22T11:00:00.000Z', {
      jobStatus: 'FAILED',
      numberOfImportedFiles: 2,
      numberOfFilesWithCustomerError: 1,
      failedFiles: [{ inputFile: 's3://dicom/2026/11/22/2/1.2.3/s/9.dcm', exceptionType: 'ValidationException', message: 'pixel data truncated' }],
    }),
  );
  // The importer's own table is the console's JobsSource, with no adapter.
  const t = await startTestScp(['--http-port', '0'], { jobs: table });
  try {
    const base = `http://127.0.0.1:${t.scp.httpPort}`;
    const recent = await getJson(`${base}/api/jobs`);
    assert.equal(recent.status, 200);
    assert.deepEqual(
      recent.body.batches.map((b: any) => [b.batchId, b.jobs.map((j: any) => j.jobId)]),
      [['batch-2', ['job-c']], ['batch-1', ['job-b', 'job-a']]],
    );
    const failed = recent.body.batches[0].jobs[0];
    assert.equal(failed.jobStatus, 'FAILED');
    assert.equal(failed.customerErrors, 1);
    assert.deepEqual(failed.failedFiles, [{ inputFile: 's3://dicom/2026/11/22/2/1.2.3/s/9.dcm', exceptionType: 'ValidationException', message: 'pixel data truncated' }]);
    assert.ok(!JSON.stringify(recent.body).includes('arn:aws:iam'), 'the data-access role is not shown');

    const study = await getJson(`${base}/api/jobs?study=1.2.3`);
    assert.deepEqual(study.body.jobs.map((j: any) => j.jobId), ['job-a', 'job-c']);
    assert.equal((await getJson(`${base}/api/jobs?study=1.2.x`)).status, 400);
  } finally {
    await t.stop();
    await dynamo.close();
  }
});

test('without a jobs table the API says so, and the console is read-only', async () => {
  const t = await startTestScp(['--http-port', '0']);
  try {
    const base = `http://127.0.0.1:${t.scp.httpPort}`;
    assert.deepEqual((await getJson(`${base}/api/jobs`)).body, { configured: false });
    for (const method of ['POST', 'PUT', 'DELETE']) assert.equal((await fetch(`${base}/api/state`, { method })).status, 405, method);
    assert.equal((await getJson(`${base}/api/nothing`)).status, 404);
    const page = await fetch(`${base}/console`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script src="\/console\/assets\/console.js">/);
    const uplot = await fetch(`${base}/console/assets/uplot.js`);
    assert.equal(uplot.status, 200);
    assert.match(uplot.headers.get('content-type') ?? '', /javascript/);
  } finally {
    await t.stop();
  }
});
