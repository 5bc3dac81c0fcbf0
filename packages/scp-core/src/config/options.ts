/**
 * Every setting of the service: its flag, its environment variable (names follow the seeds'
 * parameters), its default and what is allowed. Flags win over the environment.
 */
import { availableParallelism } from 'node:os';
import { BlockList, isIP } from 'node:net';
import { parseStorageUrl } from '@storescp/workers';
import { keyPairProblem, pemFileProblem, type PemKind } from '../server/tls.ts';

export interface ScpConfig {
  host: string;
  port: number;
  aeTitle: string;
  storage: string;
  s3Endpoint: string;
  s3Region: string;
  s3MaxAttempts: number;
  peerCidrs: string[];
  callingAeTitles: string[];
  supportedSopClasses: string[];
  maxAssociations: number;
  maxConnections: number;
  dimseTimeout: number;
  networkTimeout: number;
  maxPduLength: number;
  workerThreads: number;
  memoryBudgetMb: number;
  storeWaitTimeout: number;
  drainTimeout: number;
  tlsKey: string;
  tlsCert: string;
  tlsCa: string;
  tlsClientSubjects: string[];
  httpHost: string;
  httpPort: number;
  consoleToken: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  metricsEmf: boolean;
}

type Parse<T> = (raw: string) => T;

interface Option<K extends keyof ScpConfig> {
  key: K;
  flag: string;
  env: string;
  help: string;
  default: (c: Partial<ScpConfig>) => ScpConfig[K];
  parse: Parse<ScpConfig[K]>;
}

class InvalidValue extends Error {}

const int = (min: number, max: number): Parse<number> => (raw) => {
  if (!/^-?\d+$/.test(raw.trim())) throw new InvalidValue(`must be a whole number from ${min} to ${max}`);
  const n = Number(raw);
  if (n < min || n > max) throw new InvalidValue(`must be a whole number from ${min} to ${max}`);
  return n;
};

const seconds = (min: number, max: number): Parse<number> => (raw) => {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new InvalidValue(`must be a number of seconds from ${min} to ${max}`);
  return n;
};

const list = (each: (item: string) => string): Parse<string[]> => (raw) =>
  raw.split(',').map((s) => s.trim()).filter(Boolean).map(each);

/** AE titles: 1-16 characters of the default repertoire, no backslash or control characters, not all spaces. */
const aeTitle = (raw: string): string => {
  const t = raw.trim();
  if (t.length === 0 || t.length > 16 || !/^[\x20-\x5b\x5d-\x7e]+$/.test(t)) throw new InvalidValue('must be 1-16 printable ASCII characters without a backslash');
  return t;
};

const cidr = (raw: string): string => {
  const [ip, bits, extra] = raw.split('/');
  const family = isIP(ip ?? '');
  const max = family === 6 ? 128 : 32;
  if (!family || extra !== undefined || bits === undefined || !/^\d+$/.test(bits) || Number(bits) > max) {
    throw new InvalidValue(`"${raw}" is not a CIDR like 10.0.0.0/8 or 2001:db8::/32`);
  }
  return raw;
};

const uid = (raw: string): string => {
  if (!/^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/.test(raw) || raw.length > 64) throw new InvalidValue(`"${raw}" is not a UID`);
  return raw;
};

const storage = (raw: string): string => {
  try {
    parseStorageUrl(raw);
  } catch (err) {
    throw new InvalidValue((err as Error).message);
  }
  return raw;
};

const oneOf = <T extends string>(...values: T[]): Parse<T> => (raw) => {
  if (!values.includes(raw as T)) throw new InvalidValue(`must be one of ${values.join(', ')}`);
  return raw as T;
};

const bool: Parse<boolean> = (raw) => {
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off', ''].includes(raw.toLowerCase())) return false;
  throw new InvalidValue('must be true or false');
};

const text: Parse<string> = (raw) => raw;

/** A certificate subject CN: printable, no comma (the list separator). */
const commonName = (raw: string): string => {
  if (!/^[\x20-\x7e]+$/.test(raw) || raw.includes(',')) throw new InvalidValue(`"${raw}" is not a common name (printable ASCII, no comma)`);
  return raw;
};

function opt<K extends keyof ScpConfig>(key: K, flag: string, env: string, def: Option<K>['default'], parse: Parse<ScpConfig[K]>, help: string): Option<K> {
  return { key, flag, env, default: def, parse, help };
}

export const OPTIONS = [
  opt('host', '--host', 'SCP_HOST', () => '0.0.0.0', text, 'address to listen on for DICOM'),
  opt('port', '--port', 'SCP_PORT', () => 11112, int(0, 65535), 'DICOM port (0 = any free port)'),
  opt('aeTitle', '--ae-title', 'SCP_AE_TITLE', () => 'STORESCP', aeTitle, 'our AE title; associations calling another are rejected'),
  opt('storage', '--storage', 'STORAGE_URL', () => 'file://./data', storage, 'file://DIR or s3://bucket/prefix'),
  opt('s3Endpoint', '--s3-endpoint', 'S3_ENDPOINT', () => '', text, 'S3-compatible endpoint URL (path-style); empty = AWS'),
  opt('s3Region', '--s3-region', 'AWS_REGION', () => '', text, 'AWS region for S3 (empty = SDK default chain)'),
  opt('s3MaxAttempts', '--s3-max-attempts', 'S3_MAX_ATTEMPTS', () => 5, int(1, 20), 'attempts per S3 request (adaptive backoff) before a C-STORE gets 0xA700'),
  opt('peerCidrs', '--peer-cidrs', 'PEER_CIDRS', () => [], list(cidr), 'comma-separated CIDRs allowed to connect; empty = any'),
  opt('callingAeTitles', '--calling-ae-titles', 'CALLING_AE_TITLES', () => [], list(aeTitle), 'comma-separated calling AE titles allowed; empty = any'),
  opt('supportedSopClasses', '--sop-classes', 'SUPPORTED_SOP_CLASS_UIDS', () => [], list(uid), 'comma-separated SOP class UIDs accepted; empty = every storage class'),
  opt('maxAssociations', '--max-associations', 'MAXIMUM_ASSOCIATIONS', () => 300, int(1, 100000), 'associations open at once; more are rejected (transient)'),
  opt('maxConnections', '--max-connections', 'MAX_CONNECTIONS', (c) => (c.maxAssociations ?? 300) + 200, int(1, 200000), 'TCP connections open at once (default MaximumAssociations + 200)'),
  opt('dimseTimeout', '--dimse-timeout', 'DIMSE_TIMEOUT', () => 60, seconds(0.05, 86400), 'seconds a DIMSE message may go without progress'),
  opt('networkTimeout', '--network-timeout', 'NETWORK_TIMEOUT', () => 90, seconds(0.05, 86400), 'seconds without a PDU before the association is aborted (ARTIM)'),
  opt('maxPduLength', '--max-pdu', 'MAX_PDU_LENGTH', () => 262144, int(4096, 16 * 1024 * 1024), 'largest P-DATA-TF we accept (advertised in A-ASSOCIATE-AC)'),
  opt('workerThreads', '--worker-threads', 'WORKER_THREADS', () => availableParallelism(), int(1, 256), 'worker threads parsing and storing datasets (default: cores)'),
  opt('memoryBudgetMb', '--memory-budget-mb', 'MEMORY_BUDGET_MB', () => 128, int(4, 65536), 'MB of received data in flight before senders are slowed down'),
  opt('storeWaitTimeout', '--store-wait-timeout', 'STORE_WAIT_TIMEOUT', () => 30, seconds(0.01, 3600), 'seconds a C-STORE may wait for a worker before 0xA700'),
  opt('drainTimeout', '--drain-timeout', 'DRAIN_TIMEOUT', () => 25, seconds(0, 3600), 'seconds to finish in-flight C-STOREs on SIGTERM'),
  opt('tlsKey', '--tls-key', 'TLS_KEY', () => '', text, 'PEM private key file: turns on DICOM TLS (1.2 and 1.3, BCP 195 ciphers)'),
  opt('tlsCert', '--tls-cert', 'TLS_CERT', () => '', text, 'PEM certificate chain file'),
  opt('tlsCa', '--tls-ca', 'TLS_CA', () => '', text, 'PEM CA bundle: clients must present a certificate it signed'),
  opt('tlsClientSubjects', '--tls-client-subjects', 'TLS_CLIENT_SUBJECTS', () => [], list(commonName), 'comma-separated client certificate CNs allowed (exact match; needs --tls-ca); empty = any'),
  opt('httpHost', '--http-host', 'HTTP_HOST', () => '127.0.0.1', text, 'address of the health/metrics HTTP server'),
  opt('httpPort', '--http-port', 'HTTP_PORT', () => 8080, int(-1, 65535), 'health/metrics HTTP port (0 = any free port, -1 = off)'),
  opt('consoleToken', '--console-token', 'CONSOLE_TOKEN', () => '', text, 'token the /console page and its /api need; required when --http-host is not loopback'),
  opt('logLevel', '--log-level', 'LOG_LEVEL', () => 'info' as const, oneOf('debug', 'info', 'warn', 'error', 'silent'), 'log level'),
  opt('metricsEmf', '--metrics-emf', 'METRICS_EMF', () => false, bool, 'also print metrics as CloudWatch EMF lines every 60 s'),
] as const;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads flags (`--name value` or `--name=value`) and the environment. Throws ConfigError naming the bad setting. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): ScpConfig {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!OPTIONS.some((o) => o.flag === name)) throw new ConfigError(`unknown option ${name} (see storescp --help)`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new ConfigError(`${name} needs a value`);
    flags.set(name, value);
  }
  const config: Partial<ScpConfig> = {};
  for (const o of OPTIONS) {
    const raw = flags.get(o.flag) ?? env[o.env];
    if (raw === undefined) {
      (config as Record<string, unknown>)[o.key] = o.default(config);
      continue;
    }
    try {
      (config as Record<string, unknown>)[o.key] = (o.parse as Parse<unknown>)(raw);
    } catch (err) {
      if (!(err instanceof InvalidValue)) throw err;
      throw new ConfigError(`invalid ${o.flag} / ${o.env} value "${raw}": ${err.message}`);
    }
  }
  const c = config as ScpConfig;
  if ((c.tlsKey === '') !== (c.tlsCert === '')) throw new ConfigError('--tls-key / TLS_KEY and --tls-cert / TLS_CERT must be given together');
  if (c.tlsCa && !c.tlsKey) throw new ConfigError('--tls-ca / TLS_CA needs --tls-key and --tls-cert');
  if (c.tlsClientSubjects.length && !c.tlsCa) throw new ConfigError('--tls-client-subjects / TLS_CLIENT_SUBJECTS needs --tls-ca (without it clients send no certificate)');
  // The files are read once the options fit together, so that a missing --tls-cert is reported as such.
  const tlsFiles: [key: 'tlsKey' | 'tlsCert' | 'tlsCa', kind: PemKind][] = [['tlsKey', 'private key'], ['tlsCert', 'certificate'], ['tlsCa', 'CA bundle']];
  for (const [key, kind] of tlsFiles) {
    const problem = c[key] ? pemFileProblem(c[key], kind) : undefined;
    const o = OPTIONS.find((x) => x.key === key)!;
    if (problem) throw new ConfigError(`invalid ${o.flag} / ${o.env} value "${c[key]}": ${problem}`);
  }
  const pairProblem = c.tlsKey ? keyPairProblem(c.tlsKey, c.tlsCert) : undefined;
  if (pairProblem) throw new ConfigError(`--tls-key / TLS_KEY and --tls-cert / TLS_CERT are not a key and its certificate: ${pairProblem}`);
  if (c.maxConnections < c.maxAssociations) throw new ConfigError(`invalid --max-connections / MAX_CONNECTIONS value "${c.maxConnections}": must be at least MaximumAssociations (${c.maxAssociations})`);
  return c;
}

export function helpText(): string {
  const rows = OPTIONS.map((o) => {
    const d = o.default({ maxAssociations: 300 });
    const shown = Array.isArray(d) ? (d.length ? d.join(',') : '(none)') : d === '' ? '(none)' : String(d);
    return `  ${o.flag.padEnd(20)} ${o.env.padEnd(26)} default ${shown}\n      ${o.help}`;
  });
  return ['Usage: storescp [options]', '', 'DICOM Store SCP for AWS HealthImaging. Each option can also be set by its environment variable.', '', ...rows, '', '  --help                              this text'].join('\n');
}

/** The allow-list as a BlockList (IPv4-mapped IPv6 peers are checked as IPv4). */
export function peerAllowList(cidrs: string[]): ((address: string) => boolean) | undefined {
  if (cidrs.length === 0) return undefined;
  const list = new BlockList();
  for (const c of cidrs) {
    const [ip, bits] = c.split('/') as [string, string];
    list.addSubnet(ip, Number(bits), isIP(ip) === 6 ? 'ipv6' : 'ipv4');
  }
  return (address) => {
    const a = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
    return list.check(a, isIP(a) === 6 ? 'ipv6' : 'ipv4');
  };
}
