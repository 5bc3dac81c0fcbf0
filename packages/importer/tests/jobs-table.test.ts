import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeDocumentClient, makeDynamoClient } from '../src/aws/clients.ts';
import { startDynalite } from '../src/local/dynalite.ts';
import { JobsTable, createJobsTable, type JobRow } from '../src/jobs/table.ts';

const row = (jobId: string, studyInstanceUID: string, submittedAt: string): JobRow => ({
  jobId,
  jobStatus: 'SUBMITTED',
  submittedAt,
  inputS3Uri: `s3://dicom/2026/11/22/1/${studyInstanceUID}/`,
  outputS3Uri: 's3://results/',
  datastoreId: 'a'.repeat(32),
  dataAccessRoleArn: 'arn:aws:iam::123456789012:role/r',
  studyDate: '20261122',
  studyInstanceUID,
  endedAt: '',
  message: '',
  batchId: 'b1',
  instanceCount: 2,
  bytes: 100,
});

test('jobs table on dynalite: put, update, get, and query by studyInstanceUID through the GSI', async () => {
  const dynamo = await startDynalite();
  const client = makeDynamoClient({ endpoint: dynamo.endpoint });
  try {
    await createJobsTable(client, 'DicomImportJobTable');
    const table = new JobsTable(makeDocumentClient(client), 'DicomImportJobTable');
    await table.put(row('job2', '1.2.3', '2026-11-22T10:00:02.000Z'));
    await table.put(row('job1', '1.2.3', '2026-11-22T10:00:01.000Z'));
    await table.put(row('job3', '9.9.9', '2026-11-22T10:00:03.000Z'));
    await table.update('job1', {
      jobStatus: 'COMPLETED',
      endedAt: '2026-11-22T10:05:00.000Z',
      numberOfScannedFiles: 2,
      failedFiles: [{ inputFile: 'k', exceptionType: 'ValidationException', message: 'bad' }],
    });
    const got = await table.get('job1');
    assert.equal(got?.jobStatus, 'COMPLETED');
    assert.equal(got?.numberOfScannedFiles, 2);
    assert.deepEqual(got?.failedFiles, [{ inputFile: 'k', exceptionType: 'ValidationException', message: 'bad' }]);
    assert.equal(got?.seriesInstanceUID, undefined);
    // Oldest first, by the index's sort key.
    assert.deepEqual((await table.queryByStudy('1.2.3')).map((r) => r.jobId), ['job1', 'job2']);
    assert.equal(await table.get('nope'), undefined);
    // An update never creates a row.
    await assert.rejects(table.update('nope', { jobStatus: 'FAILED' }), { name: 'ConditionalCheckFailedException' });
  } finally {
    client.destroy();
    await dynamo.close();
  }
});
