/**
 * The configuration in force as the console shows it. Built field by field (an allow-list) rather
 * than by removing secrets from the config: an option added later stays hidden until someone
 * decides it may be shown.
 */
import type { ScpConfig } from '../config/options.ts';

/** Drops `user:password@` and any query (it may hold a presigned signature) from a URL. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)(?:[^/?#@]*@)?([^?#]*).*$/i, '$1$2');
}

export function configView(c: ScpConfig, ports: { dicom: number; http: number | undefined }) {
  return {
    aeTitle: c.aeTitle,
    dicom: `${c.host}:${ports.dicom}`,
    tls: c.tlsKey === '' ? 'off' : c.tlsCa === '' ? 'on' : 'on, client certificate required',
    storage: withoutCredentials(c.storage),
    s3Endpoint: withoutCredentials(c.s3Endpoint),
    s3Region: c.s3Region,
    peerCidrs: c.peerCidrs,
    callingAeTitles: c.callingAeTitles,
    sopClasses: c.supportedSopClasses,
    limits: {
      maxAssociations: c.maxAssociations,
      maxConnections: c.maxConnections,
      maxPduLength: c.maxPduLength,
      workerThreads: c.workerThreads,
      memoryBudgetMb: c.memoryBudgetMb,
      dimseTimeoutSeconds: c.dimseTimeout,
      networkTimeoutSeconds: c.networkTimeout,
      storeWaitTimeoutSeconds: c.storeWaitTimeout,
      drainTimeoutSeconds: c.drainTimeout,
    },
    http: `${c.httpHost}:${ports.http ?? '-'}`,
    consoleTokenRequired: c.consoleToken !== '',
  };
}
