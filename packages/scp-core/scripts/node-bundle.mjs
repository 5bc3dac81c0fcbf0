// How TypeScript sources become one plain-JavaScript ESM file for Node 20+: the container's
// storescp command (build.mjs) and the bench's load generator are bundled alike.
import { build } from 'esbuild';

// Bundled CommonJS dependencies call require(), which an ES module does not have.
const banner = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** @param {import('esbuild').BuildOptions} options entry points, output and anything particular */
export function bundleForNode(options) {
  return build({ bundle: true, platform: 'node', format: 'esm', target: 'node20', banner: { js: banner }, logLevel: 'warning', ...options });
}
