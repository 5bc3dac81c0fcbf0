/**
 * Prepares the Jazzer.js runs (see fuzz/README.md): bundles each target with the code it tests into
 * plain CommonJS under fuzz/dist/ (Jazzer instruments JavaScript, not TypeScript), and writes seed
 * corpora under fuzz/corpus/: valid PDU streams and command sets, and every testdata/dicom dataset.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import fc from 'fast-check';
import { corpusDatasets, encodeAll, encodedCommand, pduSequence } from './arbitraries.ts';
import { HEADER_TRANSFER_SYNTAXES } from './header.fuzz.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

await build({
  entryPoints: { 'pdu.fuzz': `${here}/pdu.fuzz.ts`, 'header.fuzz': `${here}/header.fuzz.ts` },
  outdir: `${here}/dist`,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
});

const seeds = (dir: string, inputs: Uint8Array[]) => {
  mkdirSync(`${here}/corpus/${dir}`, { recursive: true });
  inputs.forEach((input, i) => writeFileSync(`${here}/corpus/${dir}/seed-${String(i).padStart(3, '0')}`, input));
};

// A chunking byte of 255 (pieces of 256 bytes) in front of each stream, as pdu.fuzz.ts reads it.
const withStep = (b: Uint8Array) => Buffer.concat([Buffer.from([255]), b]);
seeds('pdu', [...fc.sample(pduSequence, { seed: 1, numRuns: 40 }).map(encodeAll), ...fc.sample(encodedCommand, { seed: 2, numRuns: 20 })].map(withStep));

// The selector byte: transfer syntax index, high bit = complete.
seeds(
  'header',
  corpusDatasets().map((c) => {
    const known = HEADER_TRANSFER_SYNTAXES.indexOf(c.transferSyntaxUid);
    const index = known >= 0 ? known : 1; // encapsulated syntaxes are explicit VR little endian
    return Buffer.concat([Buffer.from([0x80 | index]), c.dataset.subarray(0, 256 * 1024)]);
  }),
);
console.log(`built ${here}dist and seed corpora in ${here}corpus`);
