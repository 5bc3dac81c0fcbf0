/** Test helpers: an SCP on ephemeral ports over a temp directory, dcmtk as the peer, crafted datasets. */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, readPart10Meta, Scu, startScp, type RunningScp, type StartOverrides } from '../src/index.ts';
import type { BatchManifest } from '@storescp/workers';
import type { Logger } from '../src/log.ts';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const CORPUS = join(REPO, 'testdata', 'dicom');
export const CLI = join(REPO, 'packages', 'scp-core', 'src', 'cli.ts');

export const corpusFile = (name: string) => join(CORPUS, name);

export interface LogLine {
  event: string;
  fields?: Record<string, unknown>;
}

/** A logger that keeps what is logged at info level and above, to check what the SCP says. */
export function recordingLog(): { log: Logger; logged: LogLine[] } {
  const logged: LogLine[] = [];
  const keep = (event: string, fields?: Record<string, unknown>) => void logged.push({ event, fields });
  return { log: { debug: () => {}, info: keep, warn: keep, error: keep }, logged };
}

export interface TestScp {
  scp: RunningScp;
  dir: string;
  port: number;
  stop(): Promise<void>;
}

export async function startTestScp(args: string[] = [], overrides: StartOverrides = {}): Promise<TestScp> {
  const dir = mkdtempSync(join(tmpdir(), 'scp-test-'));
  const config = loadConfig(['--port', '0', '--http-port', '-1', '--host', '127.0.0.1', '--storage', `file://${dir}`, '--log-level', 'silent', '--worker-threads', '2', ...args], {});
  const scp = await startScp(config, overrides);
  return {
    scp,
    dir,
    port: scp.port,
    async stop() {
      await scp.drain(5000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The SCP as a separate process, for signals. Resolves once it listens. */
export async function spawnScp(args: string[], entry = CLI): Promise<{ child: ChildProcess; port: number; exited: Promise<number | null>; output: () => string }> {
  const loader = entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, entry, '--port', '0', '--host', '127.0.0.1', '--http-port', '-1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const check = () => {
      const m = /"dicom":"[^"]*:(\d+)"/.exec(out);
      if (m) return resolve(Number(m[1]));
      if (child.exitCode !== null) return reject(new Error(`SCP exited: ${out}`));
      setTimeout(check, 50);
    };
    check();
  });
  return { child, port, exited, output: () => out };
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a dcmtk tool with Nagle off (Debian's dcmtk keeps it on otherwise). */
export function dcmtk(tool: string, args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(tool, args, { env: { ...process.env, TCP_NODELAY: '1' }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Stored data files (everything but batch records and temp files). */
export function storedFiles(dir: string): string[] {
  return walkFiles(dir, (name) => name !== '_batches').filter((p) => p.endsWith('.dcm'));
}

/** Polls `read` every `everyMs` until `check` holds, and returns that value; fails after `ms`. */
export async function eventually<T>(read: () => Promise<T> | T, check: (v: T) => boolean, ms = 10_000, everyMs = 10): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    if (Date.now() > deadline) assert.fail(`condition not met within ${ms} ms; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The manifests of the batches closed so far under a file:// storage directory (not those still being written). */
export function closedManifests(dir: string): BatchManifest[] {
  const closed = join(dir, '_batches', 'closed');
  if (!existsSync(closed)) return [];
  return readdirSync(closed)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(closed, f), 'utf8')));
}

export function allFiles(dir: string): string[] {
  return walkFiles(dir, () => true);
}

/** Directory entries' own types, no stat: a temporary file may be renamed away while we walk. */
function walkFiles(dir: string, enter: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (enter(e.name)) out.push(...walkFiles(p, enter));
    } else out.push(p);
  }
  return out;
}

export function datasetOf(file: string | Uint8Array): Buffer {
  const buf = typeof file === 'string' ? readFileSync(file) : Buffer.from(file);
  return buf.subarray(readPart10Meta(buf).datasetOffset);
}

export const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const IMPLICIT_LE = '1.2.840.10008.1.2';

/** Builds an Explicit VR Little Endian dataset from [tag, VR, value] (strings for text VRs). */
/** An element's header in explicit VR little endian, for a value of `length` bytes (sent apart, or streamed). */
export function elementHeader(tag: number, vr: string, length: number): Buffer {
  const long = ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(length, 8);
  else h.writeUInt16LE(length, 6);
  return h;
}

export function buildDataset(elements: [number, string, string | Uint8Array][]): Buffer {
  const parts: Buffer[] = [];
  for (const [tag, vr, value] of [...elements].sort((a, b) => a[0] - b[0])) {
    let v = typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value);
    if (v.length % 2) v = Buffer.concat([v, Buffer.from([vr === 'UI' ? 0 : 0x20])]);
    parts.push(elementHeader(tag, vr, v.length), v);
  }
  return Buffer.concat(parts);
}

export function ctDataset(uids: { sop: string; study?: string; series?: string; sopClass?: string; studyDate?: string }, pixelBytes = 512): Buffer {
  return buildDataset([
    [0x00080016, 'UI', uids.sopClass ?? CT_IMAGE],
    [0x00080018, 'UI', uids.sop],
    [0x00080020, 'DA', uids.studyDate ?? '20240102'],
    [0x00080060, 'CS', 'CT'],
    [0x00100010, 'PN', 'TEST^PATIENT'],
    [0x0020000d, 'UI', uids.study ?? '1.2.3.4.5'],
    [0x0020000e, 'UI', uids.series ?? '1.2.3.4.5.6'],
    [0x7fe00010, 'OW', new Uint8Array(pixelBytes)],
  ]);
}

let uidCounter = 0;
export const freshUid = () => `2.25.${Date.now()}${process.pid}${++uidCounter}`;

export function connectScu(port: number, extra: Partial<Parameters<typeof Scu.connect>[0]> = {}) {
  return Scu.connect({
    host: '127.0.0.1',
    port,
    calledAeTitle: 'STORESCP',
    contexts: [
      { abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: [IMPLICIT_LE] },
      { abstractSyntax: CT_IMAGE, transferSyntaxes: [EXPLICIT_LE] },
    ],
    timeoutMs: 15_000,
    ...extra,
  });
}

/** A normal C-STORE that must succeed: the check after every hostile-input test. */
export async function storeOne(port: number): Promise<number> {
  const scu = await connectScu(port);
  const sop = freshUid();
  const rsp = await scu.store(CT_IMAGE, sop, ctDataset({ sop }));
  await scu.release();
  return rsp.status ?? -1;
}
