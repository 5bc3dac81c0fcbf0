/**
 * The receivers compared, each started fresh per run as its own process group over an emptied
 * storage directory, with `ulimit -n` raised for thousands of associations and Nagle off.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
// dcmtk accepts at most 128 KB PDUs: both sides use it, so fragmentation is equal.
export const MAX_PDU = 131072;

export interface ReceiverSpec {
  name: string;
  /** argv to run it on `port` storing under `dir`, able to hold `associations` at once. */
  argv(port: number, dir: string, associations: number): Promise<string[]> | string[];
}

/** The production bundle (as the container runs it), built once per bench invocation. */
const OUR_BUNDLE = path.join(REPO, 'packages/scp-core/dist');
let built = false;

export const OURS: ReceiverSpec = {
  name: 'our SCP',
  argv: (port, dir, associations) => {
    if (!built) {
      execFileSync(process.execPath, [path.join(REPO, 'packages/scp-core/scripts/build.mjs')], { stdio: 'inherit' });
      built = true;
    }
    return ourArgv(OUR_BUNDLE, port, dir, associations);
  },
};

/**
 * Our SCP from another bundle directory (a copy of packages/scp-core/dist, kept beside it so
 * that piscina resolves), named by its path: for same-run A/Bs of two builds.
 */
export function bundleReceiver(bundle: string): ReceiverSpec {
  const dir = path.resolve(bundle);
  for (const file of ['cli.mjs', 'pool-worker.mjs']) {
    if (!existsSync(path.join(dir, file))) throw new Error(`${bundle} is not an SCP bundle: no ${file} (copy packages/scp-core/dist after a build)`);
  }
  return { name: bundle, argv: (port, storage, associations) => ourArgv(dir, port, storage, associations) };
}

/** The Node flags of the Dockerfile's ENTRYPOINT (`node <flags> dist/cli.mjs`): measure what the container runs. */
export const CONTAINER_NODE_FLAGS = (() => {
  const entrypoint = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8').split('\n').filter((l) => l.startsWith('ENTRYPOINT ')).at(-1);
  return entrypoint ? (JSON.parse(entrypoint.slice('ENTRYPOINT '.length)) as string[]).slice(1, -1) : [];
})();

const ourArgv = (bundle: string, port: number, dir: string, associations: number) => [
    process.execPath, ...CONTAINER_NODE_FLAGS, path.join(bundle, 'cli.mjs'),
    '--host', '127.0.0.1', '--port', String(port), '--storage', `file://${dir}`, '--http-port', '-1', '--log-level', 'warn',
    '--max-pdu', String(MAX_PDU), '--max-associations', String(Math.max(300, associations + 10)),
    '--max-connections', String(Math.max(500, associations + 200)), '--network-timeout', '600',
  ];

export const STORESCP_FORK: ReceiverSpec = {
  name: 'storescp --fork',
  argv: (port, dir) => ['storescp', '--fork', '-pdu', String(MAX_PDU), '-od', dir, String(port)],
};

export const STORESCP_FORK_B: ReceiverSpec = {
  name: 'storescp --fork +B',
  argv: (port, dir) => ['storescp', '--fork', '+B', '-pdu', String(MAX_PDU), '-od', dir, String(port)],
};

/** Orthanc (Debian package `orthanc`), configured to accept any SCU and keep idle associations. */
export const ORTHANC: ReceiverSpec = {
  name: 'Orthanc',
  async argv(port, dir) {
    const config = path.join(dir, '..', 'orthanc.json');
    await writeFile(
      config,
      JSON.stringify({
        // No HTTP server: it needs a second port (port + 1) that nothing reserves, and one round of a
        // full run found Orthanc not serving.
        Name: 'bench', StorageDirectory: dir, IndexDirectory: dir, DicomPort: port, DicomAet: 'STORESCP', HttpServerEnabled: false,
        DicomCheckCalledAet: false, DicomAlwaysAllowStore: true,
        DicomScpTimeout: 600, MaximumPduLength: MAX_PDU, StorageCompression: false,
      }),
    );
    return ['Orthanc', config];
  },
};

export const orthancInstalled = (): boolean => spawnSync('sh', ['-c', 'command -v Orthanc'], { stdio: 'ignore' }).status === 0;

export interface RunningReceiver {
  pid: number;
  port: number;
  /** Why a run failed may be that the receiver died: its exit code and last output, if it did. */
  exitReport(): string | undefined;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  return port;
}

async function accepting(port: number, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`receiver did not listen on ${port}`);
}

/**
 * Stops a process group and waits until none of it is left: storescp --fork's children outlive
 * their parent, and thousands of them still exiting would load the next receiver's run. SIGTERM,
 * then SIGKILL after 30 s; given up after 60 s (a zombie nobody reaps answers signal 0 forever).
 */
async function stopGroup(pgid: number): Promise<void> {
  const signal = (sig: NodeJS.Signals | 0): boolean => {
    try {
      process.kill(-pgid, sig);
      return true;
    } catch {
      return false; // ESRCH: none left
    }
  };
  if (!signal('SIGTERM')) return;
  const started = Date.now();
  let killed = false;
  while (signal(0) && Date.now() - started < 60_000) {
    if (!killed && Date.now() - started > 30_000) killed = signal('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs argv with `ulimit -n 20000` (the hard cap here) and Nagle off for dcmtk. */
export function spawnWithManyFiles(argv: string[], ownGroup = false): ChildProcess {
  return spawn('bash', ['-c', 'ulimit -n 20000 && exec "$0" "$@"', ...argv], {
    cwd: REPO,
    detached: ownGroup, // its own process group, so stopping it reaches forked children too
    env: { ...process.env, TCP_NODELAY: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Empties `dir`, starts the receiver and resolves once it accepts connections. */
export async function startReceiver(spec: ReceiverSpec, dir: string, associations: number): Promise<RunningReceiver> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const [cmd, ...args] = await spec.argv(port, dir, associations);
  let output = '';
  const child = spawnWithManyFiles([cmd!, ...args], true);
  child.stdout!.on('data', (d) => (output = (output + d).slice(-4000)));
  child.stderr!.on('data', (d) => (output = (output + d).slice(-4000)));
  const exited = once(child, 'exit');
  try {
    await Promise.race([accepting(port, Date.now() + 30_000), exited.then(() => Promise.reject(new Error(`${spec.name} exited: ${output}`)))]);
  } catch (err) {
    process.kill(-child.pid!, 'SIGKILL');
    throw err;
  }
  return {
    pid: child.pid!,
    port,
    exitReport() {
      const how = child.exitCode ?? child.signalCode;
      return how === null ? undefined : `${spec.name} exited (${how}): ${output.trim().slice(-600)}`;
    },
    stop: () => stopGroup(child.pid!),
  };
}
