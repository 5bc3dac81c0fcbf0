/**
 * Health and metrics over HTTP: /healthz for container and load-balancer checks, /metrics for
 * Prometheus, and the local console (/console, /api/*) when one is given.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isConsolePath, type ConsoleHandler } from '../console/console-handler.ts';
import type { ScpMetrics } from '../metrics/registry.ts';

export interface HealthSource {
  draining(): boolean;
  associations(): number;
}

export function createHttpServer(metrics: ScpMetrics, health: HealthSource, consoleRoutes?: ConsoleHandler): http.Server {
  return http.createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      const draining = health.draining();
      res.writeHead(draining ? 503 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: draining ? 'draining' : 'ok', associations: health.associations() }));
      return;
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
      return;
    }
    if (consoleRoutes && isConsolePath(path)) {
      await consoleRoutes(req, res, new URL(req.url ?? '/', 'http://console'));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
}

export function listenHttp(server: http.Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server.address() as AddressInfo));
  });
}
