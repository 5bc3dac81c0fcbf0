/** Shared test scaffolding: a throwaway s3rver with the two buckets, and the fixture files. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { startS3rver } from '../src/local/s3rver.ts';
import { makeS3Client } from '../src/aws/clients.ts';

export const DICOM_BUCKET = 'dicom';
export const RESULTS_BUCKET = 'results';
export const ROLE_ARN = 'arn:aws:iam::123456789012:role/HealthImagingImport';

export const fixture = (name: string) => readFile(new URL(`./fixtures/${name}`, import.meta.url));

/** UIDs of the fixtures, as their headers say. */
export const CT = {
  file: 'pydicom_CT_small.dcm',
  study: '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322',
  series: '1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322',
  sop: '1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322',
  studyDate: '20040119',
  sopClass: '1.2.840.10008.5.1.4.1.1.2',
};
export const MR = {
  file: 'pydicom_MR_small.dcm',
  study: '1.3.6.1.4.1.5962.1.2.4.20040826185059.5457',
  series: '1.3.6.1.4.1.5962.1.3.4.1.20040826185059.5457',
  sop: '1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457',
  studyDate: '20040826',
  sopClass: '1.2.840.10008.5.1.4.1.1.4',
};

export interface TestS3 {
  s3: S3Client;
  endpoint: string;
  put(key: string, body: Uint8Array | string, bucket?: string): Promise<void>;
  close(): Promise<void>;
}

export async function startTestS3(): Promise<TestS3> {
  const dir = await mkdtemp(join(tmpdir(), 'importer-s3-'));
  const running = await startS3rver(dir, [DICOM_BUCKET, RESULTS_BUCKET]);
  const s3 = makeS3Client({ endpoint: running.endpoint });
  return {
    s3,
    endpoint: running.endpoint,
    put: async (key, body, bucket = DICOM_BUCKET) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    close: async () => {
      s3.destroy();
      await running.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
