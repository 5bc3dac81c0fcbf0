/**
 * /console and /api/*: the page, its files and the JSON it polls. Read-only by construction: the
 * HTTP server answers anything but GET and HEAD with 405 before it gets here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ScpConfig } from '../config/options.ts';
import { mayRead, presentedToken } from './access.ts';
import { ASSETS, PAGE, readAsset, type Asset } from './assets.ts';
import { configView } from './config-view.ts';
import { batchesOf, jobView, type JobsSource } from './jobs.ts';
import { liveState, type LiveSources } from './live-state.ts';

export interface ConsoleSources extends LiveSources {
  config: ScpConfig;
  ports(): { dicom: number; http: number | undefined };
  jobs: JobsSource | undefined;
}

export type ConsoleHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

export const isConsolePath = (path: string) => path === '/console' || path.startsWith('/console/') || path.startsWith('/api/');

const RECENT_JOBS = 100;
const UID = /^(0|[1-9]\d*)(\.(0|[1-9]\d*))*$/;

const HEADERS = {
  'x-content-type-options': 'nosniff',
  // The page's URL may carry ?token=: never hand it to another site.
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
};

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...HEADERS, 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
}

async function sendAsset(res: ServerResponse, asset: Asset): Promise<void> {
  const body = await readAsset(asset);
  if (!body) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('the console is not part of this build\n');
  res.writeHead(200, { ...HEADERS, 'content-type': asset.type, 'cache-control': 'no-cache' }).end(body);
}

export function createConsoleHandler(s: ConsoleSources): ConsoleHandler {
  const api: Record<string, (url: URL) => Promise<[number, unknown]>> = {
    '/api/state': async () => [200, await liveState(s)],
    '/api/config': async () => [200, configView(s.config, s.ports())],
    '/api/jobs': async (url) => {
      if (!s.jobs) return [200, { configured: false }];
      const study = url.searchParams.get('study')?.trim();
      if (study === undefined || study === '') return [200, { configured: true, batches: batchesOf(await s.jobs.recent(RECENT_JOBS)) }];
      if (!UID.test(study) || study.length > 64) return [400, { error: 'study must be a UID: digits and dots, at most 64 characters' }];
      return [200, { configured: true, study, jobs: (await s.jobs.queryByStudy(study)).map(jobView) }];
    },
  };

  return async (req, res, url) => {
    const path = url.pathname;
    const asset = ASSETS[path];
    if (asset) return sendAsset(res, asset);
    if (!mayRead(s.config.consoleToken, presentedToken(req, url))) {
      if (path.startsWith('/api/')) return void res.writeHead(401, { ...HEADERS, 'www-authenticate': 'Bearer', 'content-type': 'application/json' }).end('{"error":"token required"}');
      return void res.writeHead(401, { ...HEADERS, 'content-type': 'text/plain' }).end('The console needs its token: open /console?token=…\n');
    }
    if (path === '/console') return sendAsset(res, PAGE);
    const route = api[path];
    if (!route) return json(res, 404, { error: 'not found' });
    try {
      const [status, body] = await route(url);
      json(res, status, body);
    } catch (err) {
      // A jobs table that is down must not take the live view with it: the page shows this and keeps polling.
      json(res, 502, { error: `${path} failed: ${(err as Error).name}: ${(err as Error).message}` });
    }
  };
}
