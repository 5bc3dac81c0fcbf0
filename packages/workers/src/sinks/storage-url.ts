/** The storage destination of DESIGN.md "Configuration": file://DIR or s3://bucket/prefix. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export type StorageLocation =
  | { kind: 'file'; root: string; prefix: '' }
  | { kind: 's3'; bucket: string; prefix: string };

/** Throws an Error whose message says what is allowed. */
export function parseStorageUrl(url: string): StorageLocation {
  if (url.startsWith('file://')) {
    const rest = url.slice('file://'.length);
    if (!rest) throw new Error('file:// needs a directory, e.g. file://./data or file:///var/lib/storescp');
    // file:///abs is a proper URL; file://./rel and file://rel are accepted as relative paths.
    const root = rest.startsWith('/') ? fileURLToPath(`file://${rest}`) : resolve(rest);
    return { kind: 'file', root, prefix: '' };
  }
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (m) {
    let prefix = m[2] ?? '';
    if (prefix && !prefix.endsWith('/')) prefix += '/';
    if (prefix.startsWith('/') || prefix.includes('//')) throw new Error('the S3 prefix must not start with / or contain //');
    return { kind: 's3', bucket: m[1]!, prefix };
  }
  throw new Error('must be file://DIR or s3://bucket[/prefix] (bucket: 3-63 lowercase letters, digits, dots, hyphens)');
}
