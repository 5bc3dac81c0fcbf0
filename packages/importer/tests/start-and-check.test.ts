import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { MedicalImagingClient } from '@aws-sdk/client-medical-imaging';
import { studyPrefix } from '@storescp/workers/layout';
import { clientTokenFor, startImportJob } from '../src/pipeline/start-import-job.ts';
import { checkImportStatus } from '../src/pipeline/check-status.ts';
import type { PreparedJob } from '../src/pipeline/types.ts';
import { CT, DICOM_BUCKET, PREFIX, batchManifest, fixture, startRig, storeBatch, type Rig } from './helpers.ts';

const TS = 1763800000000;

/** A CT study of two files, the second not DICOM at all. */
async function storeStudyWithGarbage(rig: Rig): Promise<PreparedJob> {
  const manifest = batchManifest('STORESCP-1', TS, PREFIX, [
    { f: CT, size: 39206 },
    { f: CT, size: 17, sop: `${CT.sop}.9` },
  ]);
  await storeBatch(rig.s3, manifest, [await fixture(CT.file), 'definitely not DICOM']);
  return {
    batchId: manifest.batchId,
    studyInstanceUID: CT.study,
    studyDate: CT.studyDate,
    seriesInstanceUID: CT.series,
    inputS3Uri: `s3://${DICOM_BUCKET}/${studyPrefix(PREFIX, '2026/11/22', TS, CT.study)}`,
    instanceCount: 2,
    bytes: 39223,
    listedFiles: 2,
    listedBytes: 39223,
  };
}

async function withRig(options: Parameters<typeof startRig>[0], body: (rig: Rig) => Promise<void>) {
  const rig = await startRig(options);
  try {
    await body(rig);
  } finally {
    await rig.close();
  }
}

describe('StartImportJob and CheckStatus', () => {
  test('start writes the full row; CheckStatus follows the job and records counters and failed files', () =>
    withRig({}, async (rig) => {
      const job = await storeStudyWithGarbage(rig);
      const started = await startImportJob(rig.deps, job);
      assert.equal(started.status, 'SUBMITTED');
      const row = await rig.deps.jobsTable.get(started.jobId);
      assert.deepEqual(
        { ...row, submittedAt: typeof row?.submittedAt },
        {
          jobId: started.jobId,
          jobStatus: 'SUBMITTED',
          submittedAt: 'string',
          inputS3Uri: job.inputS3Uri,
          outputS3Uri: rig.deps.config.outputS3Uri,
          datastoreId: rig.deps.config.datastoreId,
          dataAccessRoleArn: rig.deps.config.dataAccessRoleArn,
          studyDate: CT.studyDate,
          studyInstanceUID: CT.study,
          seriesInstanceUID: CT.series,
          endedAt: '',
          message: '',
          batchId: job.batchId,
          instanceCount: 2,
          bytes: 39223,
        },
      );
      // The start is idempotent: the same input URI gives the same clientToken, hence the same job.
      assert.equal((await startImportJob(rig.deps, job)).jobId, started.jobId);
      assert.equal(clientTokenFor(job.inputS3Uri).length, 64);

      assert.equal((await checkImportStatus(rig.deps, started)).status, 'SUBMITTED');
      rig.emulator.emulator.beginPending();
      assert.equal((await checkImportStatus(rig.deps, started)).status, 'IN_PROGRESS');
      assert.equal((await rig.deps.jobsTable.get(started.jobId))?.jobStatus, 'IN_PROGRESS');
      await rig.emulator.emulator.completeInProgress();

      const checked = await checkImportStatus(rig.deps, started);
      assert.equal(checked.status, 'COMPLETED');
      assert.equal(checked.numberOfFailedFiles, 1);
      const done = (await rig.deps.jobsTable.get(started.jobId))!;
      assert.equal(done.jobStatus, 'COMPLETED');
      assert.notEqual(done.endedAt, '');
      assert.deepEqual(
        [done.numberOfScannedFiles, done.numberOfImportedFiles, done.numberOfFilesWithCustomerError, done.numberOfFilesWithServerError],
        [2, 1, 1, 0],
      );
      assert.equal(done.failedFiles?.length, 1);
      assert.match(done.failedFiles![0]!.inputFile, new RegExp(`${CT.sop}\\.9\\.dcm$`));
      assert.equal(done.failedFiles![0]!.exceptionType, 'ValidationException');
      assert.match(done.message, /Imported 1 of 2 files; 1 failed/);

      const metric = (name: string) => rig.metrics.filter((m) => name in m);
      assert.deepEqual(metric('storescp_import_jobs_total').map((m) => m['status']), ['SUBMITTED', 'SUBMITTED', 'COMPLETED']);
      assert.deepEqual(metric('storescp_import_files_failed_total').map((m) => m['storescp_import_files_failed_total']), [1]);
      const emf = metric('storescp_import_jobs_total')[0]!['_aws'] as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> };
      assert.deepEqual([emf.CloudWatchMetrics[0]!.Namespace, emf.CloudWatchMetrics[0]!.Dimensions], ['StoreSCP', [['status']]]);
    }));

  test('throttling and quota refusals are rethrown under the names the state machine retries', async () => {
    await withRig({ now: () => 0 }, async (rig) => {
      const job = await storeStudyWithGarbage(rig);
      const other = (n: number) => ({ ...job, inputS3Uri: `${job.inputS3Uri}${n}/` });
      await startImportJob(rig.deps, other(1));
      await startImportJob(rig.deps, other(2));
      // The emulator's clock stands still: the burst of 2 is spent and does not refill.
      await assert.rejects(startImportJob(rig.deps, other(3)), (err: Error) => err.name === 'ThrottlingException');
    });
    await withRig({ maxConcurrentJobs: 1, startRate: { perSecond: 100, burst: 100 } }, async (rig) => {
      const job = await storeStudyWithGarbage(rig);
      await startImportJob(rig.deps, job);
      await assert.rejects(startImportJob(rig.deps, { ...job, inputS3Uri: `${job.inputS3Uri}x/` }), (err: Error) => err.name === 'ServiceQuotaExceededException');
    });
    await withRig({}, async (rig) => {
      const failing = {
        send: async () => {
          throw Object.assign(new Error('Service Unavailable'), { name: 'Unknown', $metadata: { httpStatusCode: 503 } });
        },
      } as unknown as MedicalImagingClient;
      const job = await storeStudyWithGarbage(rig);
      await assert.rejects(startImportJob({ ...rig.deps, medicalImaging: failing }, job), (err: Error) => err.name === 'InternalServerException');
    });
  });
});
