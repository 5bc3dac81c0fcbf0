/**
 * Bundles a Lambda handler with esbuild's API, in-process. aws-lambda-nodejs' NodejsFunction would
 * run `pnpm exec esbuild` for a pnpm workspace, which needs a global pnpm (this repository runs
 * pnpm through npx) or Docker; the API needs neither, so `cdk synth` works offline anywhere.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';

export function bundledCode(entry: string): lambda.Code {
  const outdir = mkdtempSync(path.join(tmpdir(), 'storescp-lambda-'));
  buildSync({
    entryPoints: [entry],
    outfile: path.join(outdir, 'index.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    minify: true,
    sourcemap: true,
    // Everything, the AWS SDK included, is bundled: the pinned versions, not the runtime's copy.
    mainFields: ['module', 'main'],
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
    logLevel: 'error',
  });
  return lambda.Code.fromAsset(outdir);
}
