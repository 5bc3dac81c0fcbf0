/** The few S3 operations the pipeline and the emulator share: URIs, listing, JSON/text objects. */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';

export interface S3Location {
  bucket: string;
  key: string;
}

/** "s3://bucket/some/key" → { bucket, key: "some/key" }. */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`not an s3:// URI: ${JSON.stringify(uri)}`);
  return { bucket: m[1]!, key: m[2]! };
}

export const s3Uri = (bucket: string, key: string) => `s3://${bucket}/${key}`;

export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
}

export async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      out.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
    }
  }
  return out;
}

/** Reads an object, or only its first `maxBytes` when given (a ranged GET). */
export async function getObjectBytes(s3: S3Client, bucket: string, key: string, maxBytes?: number): Promise<Uint8Array> {
  const res = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, ...(maxBytes ? { Range: `bytes=0-${maxBytes - 1}` } : {}) }),
  );
  if (!res.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  return res.Body.transformToByteArray();
}

export async function getObjectText(s3: S3Client, bucket: string, key: string): Promise<string> {
  return new TextDecoder().decode(await getObjectBytes(s3, bucket, key));
}

/** The object's text, or undefined when it does not exist. */
export async function getObjectTextIfExists(s3: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    return await getObjectText(s3, bucket, key);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export async function putObjectText(s3: S3Client, bucket: string, key: string, body: string, contentType: string) {
  // Explicit length: an empty body (an ndjson with no lines) otherwise goes without one.
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType, ContentLength: Buffer.byteLength(body) }));
}

export const putJson = (s3: S3Client, bucket: string, key: string, value: unknown) =>
  putObjectText(s3, bucket, key, JSON.stringify(value), 'application/json');

export async function deleteObject(s3: S3Client, bucket: string, key: string) {
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

export function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}
