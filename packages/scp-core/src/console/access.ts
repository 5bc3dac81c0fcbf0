/**
 * Who may see the console. Bound to loopback it is open (only this machine reaches it); bound
 * anywhere else it needs a token, and the SCP refuses to start without one. /healthz and /metrics
 * are never behind the token: the load balancer and Prometheus cannot present one.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** True for addresses only this machine can reach; any other name or address counts as exposed. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const h = host.startsWith('::ffff:') && isIP(host.slice(7)) === 4 ? host.slice(7) : host;
  const family = isIP(h);
  return family !== 0 && LOOPBACK.check(h, family === 6 ? 'ipv6' : 'ipv4');
}

/** The start-up rule, as a one-line reason to refuse, or undefined when the exposure is allowed. */
export function exposureProblem(httpHost: string, httpPort: number, token: string): string | undefined {
  if (httpPort < 0 || token !== '' || isLoopbackHost(httpHost)) return undefined;
  return `--http-host ${httpHost} exposes the console beyond this machine: set --console-token / CONSOLE_TOKEN (or keep --http-host 127.0.0.1)`;
}

/** The token a request presents: `Authorization: Bearer …`, else `?token=` (what the page's own URL carries). */
export function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const auth = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
  return auth?.[1]?.trim() ?? url.searchParams.get('token') ?? undefined;
}

/**
 * Once a token is configured every console request must carry it, loopback included: a reverse
 * proxy on this machine would otherwise make every remote caller look local.
 * Hashing first gives timingSafeEqual equal lengths, so neither content nor length leaks.
 */
export function mayRead(token: string, presented: string | undefined): boolean {
  if (token === '') return true;
  if (presented === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(token), digest(presented));
}
