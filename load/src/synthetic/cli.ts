/**
 * node --import tsx load/src/synthetic/cli.ts OUTDIR [-n N] [-s S] [-m MB] [-f]
 * A pure-Node twin of shared/testdata/make-large.sh (same layout, options and manifest).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_FRAMES, FRAME_BYTES } from './instances.ts';
import { writeCorpus } from './corpus.ts';

const USAGE = `Usage: gen OUTDIR [-n N] [-s S] [-m MB] [-f]
  -n N   synthetic CT instances, 512x512 16-bit, Explicit VR LE (default 100)
  -s S   studies they are spread over, one series each (default 5)
  -m MB  one multi-frame Grayscale Word SC instance of about MB megabytes (default 100; 0 = none; max ${Math.floor((MAX_FRAMES * FRAME_BYTES) / 1e6)})
  -f     allow writing into a non-empty OUTDIR
Writes OUTDIR/ct/study-<k>/CT_<k>_<i>.dcm, OUTDIR/mf/MF_<MB>MB.dcm and OUTDIR/manifest.tsv.`;

function count(raw: string | undefined, fallback: number, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) throw new Error(`${name} must be a whole number from 0 to ${max}`);
  return Number(raw);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { n: { type: 'string', short: 'n' }, s: { type: 'string', short: 's' }, m: { type: 'string', short: 'm' }, f: { type: 'boolean', short: 'f' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals.length !== 1) {
    console.error(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  // `pnpm --filter @storescp/load gen DIR` runs in load/: resolve DIR where the user typed it.
  const out = path.resolve(process.env.INIT_CWD ?? process.cwd(), positionals[0]!);
  const opts = {
    ct: count(values.n, 100, '-n'),
    studies: Math.max(1, count(values.s, 5, '-s')),
    multiFrameMb: count(values.m, 100, '-m', Math.floor((MAX_FRAMES * FRAME_BYTES) / 1e6)),
  };
  const existing = await readdir(out).catch(() => []);
  if (existing.length > 0 && !values.f) throw new Error(`${out} is not empty (use -f)`);
  const started = performance.now();
  const entries = await writeCorpus(out, {
    ...opts,
    onProgress: (done, total) => {
      if (process.stderr.isTTY && (done % 100 === 0 || done === total)) process.stderr.write(`\r  ${done}/${total}`);
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  const bytes = entries.reduce((n, e) => n + e.bytes, 0);
  console.log(`done: ${entries.length} files, ${(bytes / 1e6).toFixed(1)} MB in ${out} (${((performance.now() - started) / 1000).toFixed(1)} s; manifest.tsv lists UIDs)`);
}

main().catch((err: Error) => {
  console.error(`gen: ${err.message}`);
  process.exit(1);
});
