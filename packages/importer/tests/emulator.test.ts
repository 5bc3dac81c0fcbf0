import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  GetDICOMImportJobCommand,
  ListDICOMImportJobsCommand,
  StartDICOMImportJobCommand,
  type MedicalImagingClient,
  type StartDICOMImportJobCommandInput,
} from '@aws-sdk/client-medical-imaging';
import { makeMedicalImagingClient } from '../src/aws/clients.ts';
import { startHealthImagingEmulator, type RunningEmulator } from '../src/emulator/server.ts';
import type { EmulatorOptions } from '../src/emulator/emulator.ts';
import { getObjectText } from '../src/s3/objects.ts';
import { FAILURE_NDJSON, JOB_OUTPUT_MANIFEST, SUCCESS_NDJSON, parseNdjson, type FailureLine, type JobOutputManifest, type SuccessLine } from '../src/healthimaging/job-output.ts';
import { CT, DICOM_BUCKET, MR, RESULTS_BUCKET, ROLE_ARN, fixture, startTestS3, type TestS3 } from './helpers.ts';

const quiet = () => {};

async function withEmulator(s3: TestS3, options: Partial<EmulatorOptions>, body: (e: RunningEmulator, client: MedicalImagingClient, datastoreId: string) => Promise<void>) {
  const running = await startHealthImagingEmulator({ s3: s3.s3, processing: 'manual', log: quiet, ...options });
  // One attempt: these tests look at each answer, not at the SDK's retries.
  const client = makeMedicalImagingClient({ endpoint: running.endpoint, maxAttempts: 1 });
  try {
    await body(running, client, running.emulator.datastoreIds[0]!);
  } finally {
    client.destroy();
    await running.close();
  }
}

const startInput = (datastoreId: string, prefix: string, token = `token-${prefix.replace(/\W/g, '')}`): StartDICOMImportJobCommandInput => ({
  datastoreId,
  dataAccessRoleArn: ROLE_ARN,
  clientToken: token,
  inputS3Uri: `s3://${DICOM_BUCKET}/${prefix}`,
  outputS3Uri: `s3://${RESULTS_BUCKET}/out/`,
  jobName: 'test-job',
});

async function rejection(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  assert.fail('expected the call to be rejected');
}

describe('HealthImaging emulator, through the real SDK client', () => {
  let s3: TestS3;
  before(async () => {
    s3 = await startTestS3();
    await s3.put('a/ct.dcm', await fixture(CT.file));
    await s3.put('a/mr.dcm', await fixture(MR.file));
    await s3.put('a/notes.txt', 'this is not DICOM');
  });
  after(() => s3.close());

  test('a job goes SUBMITTED → IN_PROGRESS → COMPLETED and writes the documented output layout', () =>
    withEmulator(s3, {}, async (running, client, datastoreId) => {
      const started = await client.send(new StartDICOMImportJobCommand(startInput(datastoreId, 'a/')));
      assert.equal(started.jobStatus, 'SUBMITTED');
      assert.ok(started.submittedAt instanceof Date);
      const get = () => client.send(new GetDICOMImportJobCommand({ datastoreId, jobId: started.jobId! }));
      assert.equal((await get()).jobProperties?.jobStatus, 'SUBMITTED');
      running.emulator.beginPending();
      assert.equal((await get()).jobProperties?.jobStatus, 'IN_PROGRESS');
      await running.emulator.completeInProgress();
      const props = (await get()).jobProperties!;
      assert.equal(props.jobStatus, 'COMPLETED');
      assert.ok(props.endedAt instanceof Date);
      assert.equal(props.inputS3Uri, `s3://${DICOM_BUCKET}/a/`);

      const folder = `out/${datastoreId}-DicomImport-${started.jobId}/`;
      const manifest = JSON.parse(await getObjectText(s3.s3, RESULTS_BUCKET, folder + JOB_OUTPUT_MANIFEST)) as JobOutputManifest;
      assert.deepEqual(
        [manifest.jobSummary.numberOfScannedFiles, manifest.jobSummary.numberOfImportedFiles, manifest.jobSummary.numberOfFilesWithCustomerError, manifest.jobSummary.numberOfFilesWithServerError],
        [3, 2, 1, 0],
      );
      assert.equal(manifest.jobSummary.failureOutputS3Uri, `s3://${RESULTS_BUCKET}/${folder}FAILURE/`);
      assert.equal(manifest.jobSummary.numberOfGeneratedImageSets, 2);
      const failures = parseNdjson<FailureLine>(await getObjectText(s3.s3, RESULTS_BUCKET, folder + FAILURE_NDJSON));
      assert.deepEqual(failures.map((f) => [f.inputFile, f.exception.exceptionType]), [['a/notes.txt', 'ValidationException']]);
      const successes = parseNdjson<SuccessLine>(await getObjectText(s3.s3, RESULTS_BUCKET, folder + SUCCESS_NDJSON));
      assert.deepEqual(successes.map((s) => s.inputFile).sort(), ['a/ct.dcm', 'a/mr.dcm']);

      const listed = await client.send(new ListDICOMImportJobsCommand({ datastoreId, jobStatus: 'COMPLETED' }));
      assert.deepEqual(listed.jobSummaries?.map((j) => j.jobId), [started.jobId]);

      // The debug route shows every imported SOP Instance UID in its study's image set.
      const debug = (await (await fetch(`${running.endpoint}/_emulator/imageSets`)).json()) as { imageSets: Array<{ studyInstanceUID: string; sopInstanceUIDs: string[]; version: number }> };
      assert.deepEqual(
        debug.imageSets.map((s) => [s.studyInstanceUID, s.sopInstanceUIDs, s.version]).sort(),
        [[CT.study, [CT.sop], 1], [MR.study, [MR.sop], 1]].sort(),
      );

      // Importing the same study again (another token) bumps its image set's version.
      await client.send(new StartDICOMImportJobCommand(startInput(datastoreId, 'a/', 'second-import')));
      running.emulator.beginPending();
      await running.emulator.completeInProgress();
      assert.deepEqual(running.emulator.imageSetViews().map((s) => s.version), [2, 2]);
    }));

  test('the same clientToken and request return the same job; a different request with it is a conflict', () =>
    withEmulator(s3, { startRate: { perSecond: 1000, burst: 1000 } }, async (_r, client, datastoreId) => {
      const first = await client.send(new StartDICOMImportJobCommand(startInput(datastoreId, 'a/', 'same')));
      const again = await client.send(new StartDICOMImportJobCommand(startInput(datastoreId, 'a/', 'same')));
      assert.equal(again.jobId, first.jobId);
      const conflict = await rejection(client.send(new StartDICOMImportJobCommand(startInput(datastoreId, 'other/', 'same'))));
      assert.deepEqual([conflict.name, conflict.status], ['ConflictException', 409]);
    }));

  test('starts beyond a burst of 2 are throttled with 429 until the rate refills', async () => {
    let now = 1_700_000_000_000;
    await withEmulator(s3, { now: () => now }, async (_r, client, datastoreId) => {
      const start = (token: string) => client.send(new StartDICOMImportJobCommand(startInput(datastoreId, 'a/', token)));
      await start('t1');
      await start('t2');
      const throttled = await rejection(start('t3'));
      assert.deepEqual([throttled.name, throttled.status], ['ThrottlingException', 429]);
      now += 1000;
      await start('t3');
    });
  });

  test('the 101st concurrent job of a data store is refused with 402 ServiceQuotaExceededException', () =>
    withEmulator(s3, { startRate: { perSecond: 1000, burst: 1000 } }, async (running, client, datastoreId) => {
      // An empty prefix: each job ends (FAILED) as soon as it runs, which is all this test needs.
      const start = (i: number) => client.send(new StartDICOMImportJobCommand(startInput(datastoreId, 'nothing-here/', `c${i}`)));
      await Promise.all(Array.from({ length: 100 }, (_, i) => start(i)));
      const refused = await rejection(start(100));
      assert.deepEqual([refused.name, refused.status], ['ServiceQuotaExceededException', 402]);
      running.emulator.beginPending();
      await running.emulator.completeInProgress();
      await start(100);
    }));

  test('a job over the file quota, on an empty prefix or on an inaccessible one ends FAILED with a message', () =>
    withEmulator(s3, { maxFilesPerJob: 2, startRate: { perSecond: 1000, burst: 1000 } }, async (running, client, datastoreId) => {
      const over = await client.send(new StartDICOMImportJobCommand(startInput(datastoreId, 'a/')));
      const empty = await client.send(new StartDICOMImportJobCommand(startInput(datastoreId, 'nothing-here/')));
      const noBucket = await client.send(new StartDICOMImportJobCommand({ ...startInput(datastoreId, 'a/', 'nb'), inputS3Uri: 's3://no-such-bucket/a/' }));
      running.emulator.beginPending();
      await running.emulator.completeInProgress();
      const props = async (jobId: string) => (await client.send(new GetDICOMImportJobCommand({ datastoreId, jobId }))).jobProperties!;
      const o = await props(over.jobId!);
      assert.equal(o.jobStatus, 'FAILED');
      assert.match(o.message ?? '', /3 files, more than the quota of 2/);
      const e = await props(empty.jobId!);
      assert.equal(e.jobStatus, 'FAILED');
      assert.match(e.message ?? '', /No files found/);
      const n = await props(noBucket.jobId!);
      assert.equal(n.jobStatus, 'FAILED');
      assert.match(n.message ?? '', /Unable to access the input S3 location/);
    }));

  test('requests are validated and unknown resources are 404s', () =>
    withEmulator(s3, {}, async (_r, client, datastoreId) => {
      const badToken = await rejection(client.send(new StartDICOMImportJobCommand({ ...startInput(datastoreId, 'a/'), clientToken: 'has space' })));
      assert.deepEqual([badToken.name, badToken.status], ['ValidationException', 400]);
      const badRole = await rejection(client.send(new StartDICOMImportJobCommand({ ...startInput(datastoreId, 'a/'), dataAccessRoleArn: 'arn:aws:iam::1:user/x-not-a-role' })));
      assert.equal(badRole.name, 'ValidationException');
      const badUri = await rejection(client.send(new StartDICOMImportJobCommand({ ...startInput(datastoreId, 'a/'), inputS3Uri: 'https://example.com/a/' })));
      assert.equal(badUri.name, 'ValidationException');
      const noStore = await rejection(client.send(new StartDICOMImportJobCommand(startInput('0'.repeat(32), 'a/'))));
      assert.deepEqual([noStore.name, noStore.status], ['ResourceNotFoundException', 404]);
      const noJob = await rejection(client.send(new GetDICOMImportJobCommand({ datastoreId, jobId: 'f'.repeat(32) })));
      assert.deepEqual([noJob.name, noJob.status], ['ResourceNotFoundException', 404]);
    }));
});
