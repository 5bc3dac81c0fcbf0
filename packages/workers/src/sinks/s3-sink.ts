/**
 * S3 (or an S3-compatible server) through @aws-sdk/lib-storage: the body streams in parts of
 * `partSize` with at most `queueSize` in flight, so memory per object stays flat whatever its
 * size. S3 makes the object visible only when the upload completes; a failed or aborted upload
 * is aborted, leaving nothing under the key. Each part carries a CRC32 checksum that S3 verifies.
 */
import { Readable } from 'node:stream';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { SinkConfig } from '../contracts.ts';
import { type Body, type Sink, StorageError } from './sink.ts';

type S3Options = NonNullable<SinkConfig['s3']>;

export class S3Sink implements Sink {
  readonly description: string;
  private readonly client: S3Client;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(
    private readonly bucket: string,
    opts: S3Options,
  ) {
    this.description = `s3://${bucket}${opts.endpoint ? ` via ${opts.endpoint}` : ''}`;
    this.partSize = Math.max(5 * 1024 * 1024, opts.partSize ?? 5 * 1024 * 1024);
    this.queueSize = Math.max(1, opts.queueSize ?? 2);
    this.client = new S3Client({
      ...(opts.region ? { region: opts.region } : {}),
      ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: opts.forcePathStyle ?? true } : {}),
      // Adaptive retries back off when S3 throttles; after them the C-STORE gets 0xA700.
      maxAttempts: opts.maxAttempts ?? 5,
      retryMode: 'adaptive',
      // A stuck connection must fail the C-STORE (0xA700), never hold it: bounded connect, and a
      // socket idle this long aborts the request (the retry then gets a fresh connection).
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
      // Checksums are requested explicitly per upload below, not on every call.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, body: Body): Promise<{ size: number }> {
    let size = 0;
    // The body's own error (the peer went away, the dataset does not add up) is the caller's to
    // handle, not a storage failure.
    let bodyError: unknown;
    const counted = Readable.from(
      (async function* () {
        try {
          for await (const group of body) {
            for (const chunk of group) {
              size += chunk.length;
              // A copy: the chunk is staging memory the main thread reuses, and lib-storage holds
              // chunks until a part is full.
              yield Buffer.from(chunk);
            }
          }
        } catch (err) {
          bodyError = err;
          throw err;
        }
      })(),
      { objectMode: false, highWaterMark: 0 },
    );
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: counted, ContentType: 'application/dicom', ChecksumAlgorithm: 'CRC32' },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
      return { size };
    } catch (err) {
      if (bodyError !== undefined) throw bodyError;
      throw new StorageError(`uploading ${key}: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  async putJson(key: string, value: unknown): Promise<void> {
    try {
      await this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json', ChecksumAlgorithm: 'CRC32' }),
      );
    } catch (err) {
      throw new StorageError(`writing ${key}: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }
}
