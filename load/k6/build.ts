/** node --import tsx load/k6/build.ts [OUTDIR]: bundles the k6 scripts (default load/k6/dist). */
import { bundleK6Scripts } from './bundle.ts';

const files = await bundleK6Scripts(process.argv[2]);
console.log(`k6 scripts: ${files.join(', ')}`);
