/** s3rver, the local S3 stand-in, with the buckets the stack needs. */
import S3rver from 's3rver';

export interface RunningS3rver {
  /** The S3rver instance: it emits 'event' with S3 notifications for objects created. */
  server: S3rver;
  endpoint: string;
  close(): Promise<void>;
}

export async function startS3rver(directory: string, buckets: string[], port = 0): Promise<RunningS3rver> {
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    directory,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const address = await server.run();
  return {
    server,
    endpoint: `http://127.0.0.1:${address.port}`,
    // Like an outage or a stop: open connections are cut, not waited for (under load they never go idle).
    close: async () => {
      const closing = server.close();
      (server as unknown as { httpServer?: import('node:http').Server }).httpServer?.closeAllConnections();
      await closing;
    },
  };
}
