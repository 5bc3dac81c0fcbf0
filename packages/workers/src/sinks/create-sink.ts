import type { SinkConfig } from '../contracts.ts';
import { FileSink } from './file-sink.ts';
import { S3Sink } from './s3-sink.ts';
import type { Sink } from './sink.ts';
import { parseStorageUrl } from './storage-url.ts';

export function createSink(config: SinkConfig): { sink: Sink; prefix: string } {
  const location = parseStorageUrl(config.url);
  if (location.kind === 'file') return { sink: new FileSink(location.root), prefix: '' };
  return { sink: new S3Sink(location.bucket, config.s3 ?? {}), prefix: location.prefix };
}
