/** node --import tsx load/src/generator/cli.ts --help */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type tls from 'node:tls';
import type { Target } from './connect.ts';
import { holdAssociations } from './hold.ts';
import { holdTable, loadTable } from './report.ts';
import { runLoad } from './run.ts';
import { fileSource, syntheticSource } from './sources.ts';
import type { RunStats } from './stats.ts';

const HELP = `Usage: load [options]  — DIMSE C-STORE load generator

Target
  --host H                 SCP host (default 127.0.0.1)
  --port P                 SCP port (default 11112)
  --called-ae T            called AE title (default STORESCP)
  --calling-ae T           calling AE title (default LOADSCU)
  --tls                    DICOM over TLS; --tls-ca FILE, --tls-cert FILE, --tls-key FILE,
                           --tls-insecure (do not verify the server certificate)
Load
  -c, --associations N     concurrent associations (default 1)
  -n, --instances N        C-STOREs in total, shared by all associations
  --per-association N      C-STOREs per association (with -n or -d: then release and open another)
  -d, --duration S         stop after S seconds (default 10 with --size and no other limit)
  --dir DIR                send the Part 10 files under DIR, datasets unchanged, in their own
                           transfer syntax (default limit: each file once)
  --size MB                or send synthetic instances of MB megabytes with fresh UIDs (default 0.5)
  --window N               C-STOREs per association sent before waiting for an answer (default
                           1, like storescu; more sends ahead without an asynchronous operations
                           window negotiated, as some senders do)
  --connect-concurrency N  associations being set up at once (default 64)
  --max-pdu BYTES          largest PDU we accept (default 262144)
  --timeout S              fail a wait without progress after S seconds (default 60)
  --hold S                 instead: open -c associations, hold them idle S seconds, then C-ECHO each
Output
  --json                   print the result as JSON
  --progress               progress on stderr even when it is not a terminal
`;

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '11112' },
    'called-ae': { type: 'string', default: 'STORESCP' },
    'calling-ae': { type: 'string', default: 'LOADSCU' },
    tls: { type: 'boolean', default: false },
    'tls-ca': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-insecure': { type: 'boolean', default: false },
    associations: { type: 'string', short: 'c', default: '1' },
    instances: { type: 'string', short: 'n' },
    'per-association': { type: 'string' },
    duration: { type: 'string', short: 'd' },
    dir: { type: 'string' },
    size: { type: 'string' },
    window: { type: 'string', default: '1' },
    'connect-concurrency': { type: 'string', default: '64' },
    'max-pdu': { type: 'string', default: '262144' },
    timeout: { type: 'string', default: '60' },
    hold: { type: 'string' },
    json: { type: 'boolean', default: false },
    progress: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

function num(name: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) fail(`--${name} must be a number ≥ ${min}`);
  return n;
}

/** A count: a whole number ≥ min. */
function count(name: string, raw: string | undefined, min = 1): number | undefined {
  const n = num(name, raw, min);
  if (n !== undefined && !Number.isInteger(n)) fail(`--${name} must be a whole number`);
  return n;
}

function fail(message: string): never {
  console.error(`load: ${message}`);
  process.exit(2);
}

function tlsOptions(): tls.ConnectionOptions | undefined {
  if (!values.tls) return undefined;
  const read = (f: string | undefined) => (f ? readFileSync(f) : undefined);
  const ca = read(values['tls-ca']);
  const cert = read(values['tls-cert']);
  const key = read(values['tls-key']);
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), rejectUnauthorized: !values['tls-insecure'] };
}

function progress(stats: RunStats, elapsedMs: number, last: { instances: number; bytes: number }): void {
  const line = `${(elapsedMs / 1000).toFixed(0)} s  ${stats.instances} instances  ${stats.instances - last.instances}/s  ${((stats.bytes - last.bytes) / 1e6).toFixed(1)} MB/s  ${stats.openAssociations} associations  ${stats.failures} failed`;
  last.instances = stats.instances;
  last.bytes = stats.bytes;
  process.stderr.write(process.stderr.isTTY ? `\r\x1b[K${line}` : `${line}\n`);
}

async function main(): Promise<void> {
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (values.dir && values.size) fail('give --dir or --size, not both');
  const tlsConnection = tlsOptions();
  const target: Target = {
    host: values.host,
    port: num('port', values.port, 1)!,
    calledAeTitle: values['called-ae'],
    callingAeTitle: values['calling-ae'],
    maxPduLength: num('max-pdu', values['max-pdu'], 4096)!,
    timeoutMs: num('timeout', values.timeout, 0.001)! * 1000,
    ...(tlsConnection ? { tls: tlsConnection } : {}),
  };
  const associations = count('associations', values.associations)!;
  const connectConcurrency = count('connect-concurrency', values['connect-concurrency'])!;
  const showProgress = process.stderr.isTTY || values.progress;

  if (values.hold !== undefined) {
    const result = await holdAssociations({
      target,
      count: associations,
      holdMs: num('hold', values.hold, 0)! * 1000,
      connectConcurrency,
      onHeld: (open) => {
        if (showProgress) process.stderr.write(`holding ${open} associations\n`);
      },
    });
    console.log(values.json ? JSON.stringify(result, null, 2) : holdTable(result));
    process.exitCode = result.echoed === result.requested ? 0 : 1;
    return;
  }

  const source = values.dir ? await fileSource(values.dir) : syntheticSource(num('size', values.size ?? '0.5', 0.000001)! * 1e6);
  const instances = count('instances', values.instances);
  const perAssociation = count('per-association', values['per-association']);
  let durationS = num('duration', values.duration, 0.001);
  if (durationS === undefined && instances === undefined && perAssociation === undefined && !values.dir) durationS = 10;
  const last = { instances: 0, bytes: 0 };
  const result = await runLoad({
    target,
    source,
    associations,
    window: count('window', values.window)!,
    connectConcurrency,
    ...(instances !== undefined ? { instances } : {}),
    ...(perAssociation !== undefined ? { perAssociation } : {}),
    ...(durationS !== undefined ? { durationMs: durationS * 1000 } : {}),
    ...(showProgress ? { onTick: (stats: RunStats, ms: number) => progress(stats, ms, last) } : {}),
  });
  if (showProgress && process.stderr.isTTY) process.stderr.write('\n');
  console.log(values.json ? JSON.stringify(result, null, 2) : loadTable(result));
  process.exitCode = result.failures === 0 ? 0 : 1;
}

main().catch((err: Error) => fail(err.message));
