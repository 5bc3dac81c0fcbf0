/**
 * Bundles the k6 scripts with esbuild into plain ES modules k6 can run. `@storescp/scp-core` is
 * narrowed to its runtime-agnostic codecs (PDU, DIMSE command, client requests), so nothing of
 * Node is pulled in.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

export const K6_DIR = path.dirname(fileURLToPath(import.meta.url));
export const SCRIPTS = ['ramping', 'steady', 'spike'];

const scpCoreSrc = path.dirname(fileURLToPath(import.meta.resolve('@storescp/scp-core')));

const scpCoreCodecsOnly: Plugin = {
  name: 'scp-core-codecs-only',
  setup(b) {
    b.onResolve({ filter: /^@storescp\/scp-core$/ }, () => ({ path: 'scp-core-codecs', namespace: 'scp-core' }));
    b.onLoad({ filter: /.*/, namespace: 'scp-core' }, () => ({
      resolveDir: scpCoreSrc,
      loader: 'ts',
      contents: `export * from './pdu/index.ts';\nexport { encodeCommand, decodeCommand, CommandField } from './dimse/command.ts';\nexport { VERIFICATION_SOP_CLASS, TransferSyntax } from './acse/uids.ts';\nexport * from './client/requests.ts';\n`,
    }));
  },
};

/** Writes OUTDIR/<script>.js for each scenario and returns their paths. */
export async function bundleK6Scripts(outdir = path.join(K6_DIR, 'dist')): Promise<string[]> {
  await build({
    entryPoints: SCRIPTS.map((s) => path.join(K6_DIR, `${s}.ts`)),
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2020',
    external: ['k6', 'k6/*'],
    plugins: [scpCoreCodecsOnly],
    logLevel: 'warning',
  });
  return SCRIPTS.map((s) => path.join(outdir, `${s}.js`));
}
