/**
 * The DIMSE front door: accepts TCP (or TLS) connections, applies admission that happens before
 * any PDU is read (peer CIDR allow-list, raw connection cap), counts associations against
 * MaximumAssociations, and drains on shutdown.
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import tls, { type TLSSocket } from 'node:tls';
import { Association, statusLabel, type AssociationOptions } from '../association/association.ts';
import type { Logger } from '../log.ts';
import type { ScpMetrics } from '../metrics/registry.ts';
import { clientSubjectRefusal, tlsServerOptions, type TlsSettings } from './tls.ts';

export interface ListenerOptions {
  host: string;
  port: number;
  maxAssociations: number;
  maxConnections: number;
  /** undefined = any peer. */
  peerAllowed?: (address: string) => boolean;
  tls?: TlsSettings;
  association: Omit<AssociationOptions, 'admit' | 'release' | 'onClose'>;
  log: Logger;
  metrics: ScpMetrics;
}

/** After the drain deadline: how long aborted associations get to close their batches. */
const DRAIN_GRACE_MS = 5_000;

export class Listener {
  private readonly server: net.Server;
  /** In accept order, so the oldest unassociated connection is found first when the cap is hit. */
  private readonly connections = new Set<Association>();
  private established = 0;
  private draining = false;

  constructor(private readonly opts: ListenerOptions) {
    if (opts.tls) {
      const allowedSubjects = new Set(opts.tls.clientSubjects);
      // A handshake is not yet a connection the cap can evict: bound it like an idle association
      // (Node's default is 120 s).
      this.server = tls.createServer({ ...tlsServerOptions(opts.tls), handshakeTimeout: opts.association.networkTimeoutMs });
      // Node leaves the socket open after a failed handshake: one that timed out would stay forever.
      const refuse = (socket: Socket, error: string) => {
        opts.metrics.associationsRejected.inc({ reason: 'tls' });
        opts.log.info('tls.refused', { peer: socket.remoteAddress, error: error.trim() }); // OpenSSL's end in a newline
        socket.destroy();
      };
      this.server.on('connection', (socket: Socket) => this.admitConnection(socket));
      this.server.on('secureConnection', (socket: TLSSocket) => {
        const refusal = clientSubjectRefusal(socket, allowedSubjects);
        if (refusal === undefined) this.onSocket(socket);
        else refuse(socket, refusal);
      });
      this.server.on('tlsClientError', (err, socket) => refuse(socket, err.message));
    } else {
      this.server = net.createServer({ noDelay: true, pauseOnConnect: true }, (socket) => {
        if (this.admitConnection(socket)) this.onSocket(socket);
      });
    }
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  get associationCount(): number {
    return this.established;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host: this.opts.host, port: this.opts.port, backlog: 4096 }, () => {
        this.server.off('error', reject);
        resolve(this.address);
      });
    });
  }

  /** Admission before any byte is read (for TLS: before the handshake). */
  private admitConnection(socket: Socket): boolean {
    const { metrics } = this.opts;
    if (this.opts.peerAllowed && !this.opts.peerAllowed(socket.remoteAddress ?? '')) {
      metrics.associationsRejected.inc({ reason: 'peer-cidr' });
      socket.destroy();
      return false;
    }
    if (this.connections.size >= this.opts.maxConnections) {
      // Unassociated sockets are what a flood is made of: evict the oldest so real clients get in.
      const idle = [...this.connections].find((a) => a.state === 'awaiting-rq');
      metrics.associationsRejected.inc({ reason: 'connection-cap' });
      if (!idle) {
        socket.destroy();
        return false;
      }
      idle.destroy('evicted: connection cap reached');
    }
    return true;
  }

  private onSocket(socket: Socket): void {
    if (socket.destroyed) return;
    if (this.draining) {
      socket.destroy();
      return;
    }
    const association = new Association(socket, {
      ...this.opts.association,
      admit: () => {
        if (this.established >= this.opts.maxAssociations) return false;
        this.established++;
        return true;
      },
      release: () => {
        this.established--;
      },
      onClose: (a) => {
        this.connections.delete(a);
        this.opts.metrics.connectionsOpen.set(this.connections.size);
      },
    });
    this.connections.add(association);
    this.opts.metrics.connectionsOpen.set(this.connections.size);
    socket.resume();
  }

  /**
   * Stops accepting, lets in-flight C-STOREs finish and their batches close, and aborts
   * whatever is still running at the deadline. Resolves when every association is closed.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.draining = true;
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    const all = [...this.connections];
    for (const a of all) a.drain();
    const finished = Promise.all(all.map((a) => a.closed));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    if ((await Promise.race([finished, deadline])) === 'timeout') {
      this.opts.log.warn('drain.deadline', { open: this.connections.size });
      for (const a of this.connections) a.abort('draining: deadline reached', 0);
      // Closing their batches writes to storage; if storage is stuck, the sweeper closes them later.
      const grace = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), DRAIN_GRACE_MS).unref());
      if ((await Promise.race([finished, grace])) === 'timeout') this.opts.log.warn('drain.batches-left-open', { open: this.connections.size });
    }
    clearTimeout(timer);
    await closed;
  }

  /** A copy of what each open connection has done so far, for the console (which never touches an association). */
  openAssociations() {
    return [...this.connections].map((a) => ({
      state: a.state,
      peerAddress: a.peerAddress,
      callingAeTitle: a.callingAeTitle,
      calledAeTitle: a.calledAeTitle,
      openedAt: a.openedAt,
      instancesStored: a.instancesStored,
      bytesReceived: a.bytesReceived,
      statuses: Object.fromEntries([...a.statusCounts].map(([status, n]) => [statusLabel(status), n])),
    }));
  }
}
