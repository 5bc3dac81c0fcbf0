import type { SinkConfig } from '../contracts.ts';
import { FileSink } from './file-sink.ts';
import type { Sink } from './sink.ts';
import { parseStorageUrl } from './storage-url.ts';

/** The S3 sink (and the AWS SDK behind it) is loaded only when used: file mode stays small. */
export async function createSink(config: SinkConfig): Promise<{ sink: Sink; prefix: string }> {
  const location = parseStorageUrl(config.url);
  if (location.kind === 'file') return { sink: new FileSink(location.root), prefix: '' };
  const { S3Sink } = await import('./s3-sink.ts');
  return { sink: new S3Sink(location.bucket, config.s3 ?? {}), prefix: location.prefix };
}
