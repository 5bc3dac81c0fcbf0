/**
 * The page's files, served as they are (no build step): ours from ./static, uPlot from its npm
 * package. Looked up per request, so the esbuild bundle (which carries neither) answers 404 for
 * the console instead of failing to start.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const own = (name: string) => () => fileURLToPath(new URL(`./static/${name}`, import.meta.url));
const fromPackage = (specifier: string) => () => createRequire(import.meta.url).resolve(specifier);

const TYPES = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' } as const;

export interface Asset {
  path: () => string;
  type: (typeof TYPES)[keyof typeof TYPES];
}

/** The page itself; it holds nothing but markup, yet it is what a person opens, so it sits behind the token. */
export const PAGE: Asset = { path: own('index.html'), type: TYPES.html };

/** Library and page code, the same for everyone and free of data: open, because <script src> cannot send a token. */
export const ASSETS: Record<string, Asset> = {
  '/console/assets/console.js': { path: own('console.js'), type: TYPES.js },
  '/console/assets/console.css': { path: own('console.css'), type: TYPES.css },
  '/console/assets/uplot.js': { path: fromPackage('uplot/dist/uPlot.iife.min.js'), type: TYPES.js },
  '/console/assets/uplot.css': { path: fromPackage('uplot/dist/uPlot.min.css'), type: TYPES.css },
};

/** The file's bytes, or undefined when this build does not carry it. */
export async function readAsset(asset: Asset): Promise<Buffer | undefined> {
  try {
    return await readFile(asset.path());
  } catch {
    return undefined;
  }
}
