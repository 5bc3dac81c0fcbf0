import { test } from 'node:test';
import assert from 'node:assert/strict';
import { depsFromEnv } from '../src/lambda/env.ts';
import { sweepOpenBatches } from '../src/pipeline/sweeper.ts';
import { DICOM_BUCKET, startTestS3 } from './helpers.ts';

test('each Lambda entry file exports a handler', async () => {
  for (const name of ['trigger-import', 'start-import-job', 'check-status', 'sweeper']) {
    const mod = (await import(`../src/lambda/${name}.ts`)) as { handler?: unknown };
    assert.equal(typeof mod.handler, 'function', name);
  }
});

test('handler dependencies come from the environment; a missing variable is named', async () => {
  assert.throws(() => depsFromEnv({}).config.datastoreId, /DATASTORE_ID is not set/);
  assert.throws(() => depsFromEnv({ OUTPUT_S3_URI: 's3://results' }).config.outputS3Uri, /must be an s3:\/\/ URI ending in "\/"/);
  assert.throws(() => depsFromEnv({}).jobsTable, /JOBS_TABLE is not set/);

  const s3 = await startTestS3();
  try {
    const deps = depsFromEnv({ S3_ENDPOINT: s3.endpoint, DICOM_BUCKET, DICOM_PREFIX: 'p/', SWEEP_AGE_SECONDS: '210' });
    assert.equal(deps.config.dicomPrefix, 'p/');
    assert.deepEqual(await sweepOpenBatches({ s3: deps.s3, config: deps.config, metrics: deps.metrics, log: () => {} }), { swept: [], cleaned: [], active: [], invalid: [] });
    deps.s3.destroy();
  } finally {
    await s3.close();
  }
});
