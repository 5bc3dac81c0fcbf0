/** Assembles the SCP from its configuration: pool → listener → HTTP, and how to stop it. */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { parseStorageUrl, type SinkConfig } from '@storescp/workers';
import { BatchTracker, TimestampClock } from '../batch/batch-tracker.ts';
import { peerAllowList, type ScpConfig } from '../config/options.ts';
import { exposureProblem } from '../console/access.ts';
import { createConsoleHandler } from '../console/console-handler.ts';
import type { JobsSource } from '../console/jobs.ts';
import { MetricsSampler } from '../console/metrics-sampler.ts';
import { createHttpServer, listenHttp } from '../http/http-server.ts';
import { createLogger, type Logger } from '../log.ts';
import { startEmf } from '../metrics/emf.ts';
import { createMetrics, type ScpMetrics } from '../metrics/registry.ts';
import { POOL_TUNING, StorePool, type StorePoolOptions } from '../pool/store-pool.ts';
import { Listener } from './listener.ts';

export interface RunningScp {
  config: ScpConfig;
  port: number;
  httpPort: number | undefined;
  metrics: ScpMetrics;
  log: Logger;
  listener: Listener;
  pool: StorePool;
  /** Graceful: stop accepting, finish in-flight stores, close batches, stop the pool. */
  drain(timeoutMs?: number): Promise<void>;
}

export interface StartOverrides {
  log?: Logger;
  pool?: Partial<StorePoolOptions>;
  /** The import jobs table, for the console's batches and jobs (the local stack passes its own). */
  jobs?: JobsSource;
}

export function sinkConfigOf(config: ScpConfig): SinkConfig {
  return {
    url: config.storage,
    ...(parseStorageUrl(config.storage).kind === 's3'
      ? { s3: { maxAttempts: config.s3MaxAttempts, ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}), ...(config.s3Region ? { region: config.s3Region } : {}) } }
      : {}),
  };
}

export async function startScp(config: ScpConfig, overrides: StartOverrides = {}): Promise<RunningScp> {
  const exposure = exposureProblem(config.httpHost, config.httpPort, config.consoleToken);
  if (exposure) throw new Error(exposure);
  const log = overrides.log ?? createLogger(config.logLevel);
  const metrics = createMetrics();
  const sink = sinkConfigOf(config);
  const pool = new StorePool(
    { sink, ...POOL_TUNING, threads: config.workerThreads, budgetBytes: config.memoryBudgetMb * 1024 * 1024, waitTimeoutMs: config.storeWaitTimeout * 1000, ...overrides.pool },
    log,
    metrics,
  );
  pool.removeStaleTemporaries().then(
    (count) => count > 0 && log.info('storage.stale-temporaries-removed', { count }),
    (err: unknown) => log.warn('storage.stale-temporaries-failed', { error: String((err as Error)?.message ?? err) }),
  );
  const clock = new TimestampClock();
  const instanceId = `${hostname().replace(/[^A-Za-z0-9]/g, '').slice(-12) || 'scp'}-${randomBytes(3).toString('hex')}`;
  const prefix = parseStorageUrl(config.storage).prefix;
  const listener = new Listener({
    host: config.host,
    port: config.port,
    maxAssociations: config.maxAssociations,
    maxConnections: config.maxConnections,
    peerAllowed: peerAllowList(config.peerCidrs),
    ...(config.tlsKey ? { tls: { key: config.tlsKey, cert: config.tlsCert, ...(config.tlsCa ? { ca: config.tlsCa } : {}), clientSubjects: config.tlsClientSubjects } } : {}),
    association: {
      policy: {
        aeTitle: config.aeTitle,
        allowedCallingAeTitles: new Set(config.callingAeTitles),
        supportedSopClasses: new Set(config.supportedSopClasses),
        maxPduLength: config.maxPduLength,
      },
      networkTimeoutMs: config.networkTimeout * 1000,
      dimseTimeoutMs: config.dimseTimeout * 1000,
      maxControlPduLength: 256 * 1024,
      storeService: pool,
      createBatchTracker: (info) => new BatchTracker(info, { writer: pool, clock, prefix, instanceId, log, metrics }),
      log,
      metrics,
    },
    log,
    metrics,
  });
  let draining = false;
  const address = await listener.listen();
  let httpAddress: AddressInfo | undefined;
  // Sampled only while someone can look: with HTTP off there is no console to feed.
  const sampler = new MetricsSampler(metrics);
  const consoleRoutes = createConsoleHandler({
    config,
    listener,
    metrics,
    sampler,
    jobs: overrides.jobs,
    draining: () => draining,
    ports: () => ({ dicom: address.port, http: httpAddress?.port }),
  });
  const http = createHttpServer(metrics, { draining: () => draining, associations: () => listener.associationCount }, consoleRoutes);
  if (config.httpPort >= 0) {
    httpAddress = await listenHttp(http, config.httpHost, config.httpPort);
    sampler.start();
  }
  const stopEmf = config.metricsEmf ? startEmf(metrics.registry, (l) => process.stdout.write(l)) : () => {};
  log.info('started', {
    aeTitle: config.aeTitle,
    dicom: `${address.address}:${address.port}`,
    tls: Boolean(config.tlsKey),
    http: httpAddress ? `${httpAddress.address}:${httpAddress.port}` : 'off',
    storage: pool.options.sink.url,
    maxAssociations: config.maxAssociations,
    workerThreads: config.workerThreads,
  });
  return {
    config,
    port: address.port,
    httpPort: httpAddress?.port,
    metrics,
    log,
    listener,
    pool,
    async drain(timeoutMs = config.drainTimeout * 1000) {
      if (draining) return;
      draining = true;
      log.info('draining', { associations: listener.associationCount, timeoutMs });
      await listener.drain(timeoutMs);
      stopEmf();
      sampler.stop();
      http.close();
      await pool.close();
      log.info('stopped', {});
    },
  };
}
