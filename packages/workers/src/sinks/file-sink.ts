/**
 * The embedded default sink: a directory. Objects are written to a hidden temporary name in
 * their final directory, fsynced, renamed into place, and the directory fsynced, so a crash at
 * any moment leaves either the whole object under its key or nothing there.
 *
 * Speed: this runs in a worker thread, whose only job is this, so every call is synchronous: an
 * async one costs a libuv thread-pool round trip (and that pool has 4 threads for the process),
 * and a 0.5 MB instance made ten of them, about 0.4 ms of its latency. On a disk the fsyncs then
 * hold the worker thread; more worker threads (--worker-threads) overlap them.
 */
import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writevSync } from 'node:fs';
import { opendir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Body, type Sink, StorageError } from './sink.ts';

export class FileSink implements Sink {
  readonly description: string;
  private readonly root: string;
  /**
   * Directories known to exist, to skip mkdir. Bounded: an SCP makes a directory per series for
   * as long as it runs (an unbounded set grew ~70 MB per worker in a 30-minute soak).
   */
  private readonly madeDirs = new Set<string>();
  /**
   * Temporary names count up from a random 48-bit start per sink: unique within the sink, and
   * apart from other processes' sinks in the same directory. (randomBytes per object cost
   * ~20 µs of the worker's time per instance.)
   */
  private nextTemp = randomBytes(6).readUIntBE(0, 6);

  constructor(root: string) {
    this.root = resolve(root);
    this.description = `file://${this.root}`;
  }

  /** Keys come from validated UIDs, but a path never leaves the root whatever the key says. */
  private pathOf(key: string): string {
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep)) throw new StorageError(`key escapes the storage root: ${key}`);
    return path;
  }

  private ensureDir(dir: string): void {
    if (this.madeDirs.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    if (this.madeDirs.size >= KNOWN_DIRECTORIES) this.madeDirs.clear();
    this.madeDirs.add(dir);
  }

  /** Opens the temporary file; a directory removed behind our back (an operator's cleanup) is made again. */
  private openTemp(dir: string, temp: string): number {
    this.ensureDir(dir);
    try {
      return openSync(temp, 'w');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.madeDirs.delete(dir);
      this.ensureDir(dir);
      return openSync(temp, 'w');
    }
  }

  async put(key: string, body: Body): Promise<{ size: number }> {
    const path = this.pathOf(key);
    const dir = dirname(path);
    const temp = join(dir, `.${(this.nextTemp++ % 2 ** 48).toString(16).padStart(12, '0')}.tmp`);
    let size = 0;
    let fd: number | undefined;
    try {
      fd = this.openTemp(dir, temp);
      for await (const group of body) size += writeAll(fd, group);
      fdatasyncSync(fd);
      closeSync(fd);
      fd = undefined;
      renameSync(temp, path);
      syncDirectory(dir);
      return { size };
    } catch (err) {
      try {
        if (fd !== undefined) closeSync(fd);
        rmSync(temp, { force: true });
      } catch {
        // the write's own error is the one to report
      }
      if (err instanceof StorageError || !(err instanceof Error) || !('code' in err)) throw err;
      throw new StorageError(`writing ${key}: ${err.message}`);
    }
  }

  async putJson(key: string, value: unknown): Promise<void> {
    await this.put(key, [[Buffer.from(JSON.stringify(value))]]);
  }

  async delete(key: string): Promise<void> {
    rmSync(this.pathOf(key), { force: true });
  }

  /**
   * Deletes the temporary files a killed process left (they never appear under a key, but take
   * space). Only those older than `olderThanMs`: another process may share the directory.
   * Returns how many were removed.
   */
  async removeStaleTemporaries(olderThanMs: number): Promise<number> {
    const before = Date.now() - olderThanMs;
    let removed = 0;
    const walk = async (dir: string): Promise<void> => {
      for await (const entry of await opendir(dir)) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (TEMP_NAME.test(entry.name) && (await stat(path)).mtimeMs < before) {
          await rm(path, { force: true });
          removed++;
        }
      }
    };
    await walk(this.root).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    return removed;
  }
}

const KNOWN_DIRECTORIES = 4096;

/** The names put() writes before its rename. */
const TEMP_NAME = /^\.[0-9a-f]{12}\.tmp$/;

/** Makes a rename durable: the new directory entry reaches the disk. */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * One writev(2) per group. It may write less than asked (a full disk reports ENOSPC on the next
 * call, and the kernel takes at most IOV_MAX chunks): the rest is written then.
 */
function writeAll(fd: number, group: readonly Uint8Array[]): number {
  let total = 0;
  for (const chunk of group) total += chunk.length;
  let left = group;
  for (let done = 0; done < total; ) {
    const n = writevSync(fd, left);
    done += n;
    left = unwritten(left, n);
  }
  return total;
}

/** The chunks still to write once the first `n` bytes of `chunks` are written. */
export function unwritten(chunks: readonly Uint8Array[], n: number): Uint8Array[] {
  let i = 0;
  while (i < chunks.length && n >= chunks[i]!.length) n -= chunks[i++]!.length;
  if (i === chunks.length) return [];
  return n === 0 ? chunks.slice(i) : [chunks[i]!.subarray(n), ...chunks.slice(i + 1)];
}
