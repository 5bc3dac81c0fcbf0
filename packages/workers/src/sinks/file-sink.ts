/**
 * The embedded default sink: a directory. Objects are written to a hidden temporary name in
 * their final directory, fsynced, renamed into place, and the directory fsynced, so a crash at
 * any moment leaves either the whole object under its key or nothing there.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Body, type Sink, StorageError } from './sink.ts';

export class FileSink implements Sink {
  readonly description: string;
  private readonly root: string;
  private readonly madeDirs = new Set<string>();

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

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.madeDirs.add(dir);
  }

  async put(key: string, body: Body): Promise<{ size: number }> {
    const path = this.pathOf(key);
    const dir = dirname(path);
    const temp = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
    let size = 0;
    try {
      await this.ensureDir(dir);
      const fh = await open(temp, 'w');
      try {
        for await (const chunk of body) {
          await fh.write(chunk);
          size += chunk.length;
        }
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(temp, path);
      await syncDir(dir);
      return { size };
    } catch (err) {
      await rm(temp, { force: true }).catch(() => {});
      if (err instanceof StorageError || !(err instanceof Error) || !('code' in err)) throw err;
      throw new StorageError(`writing ${key}: ${err.message}`);
    }
  }

  async putJson(key: string, value: unknown): Promise<void> {
    await this.put(key, [Buffer.from(JSON.stringify(value))]);
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }
}

/** Makes a rename durable: the new directory entry reaches the disk. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
