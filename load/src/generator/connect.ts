/**
 * Opens an association over node:net or node:tls. The transport corks the socket so each
 * request leaves in a few writev calls, and waits for 'drain' when the kernel is full.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Association, AssociationFailure, type ContextProposal, type Transport } from '../protocol/association.ts';

export interface Target {
  host: string;
  port: number;
  calledAeTitle: string;
  callingAeTitle: string;
  maxPduLength: number;
  tls?: tls.ConnectionOptions;
  /** Fails a connect, association or response that makes no progress for this long. */
  timeoutMs: number;
}

export interface OpenAssociation {
  association: Association;
  /** Milliseconds from connect to A-ASSOCIATE-AC. */
  setupMs: number;
  /** Drops the connection without a release. */
  destroy(): void;
}

export async function openAssociation(target: Target, proposals: ContextProposal[]): Promise<OpenAssociation> {
  const started = performance.now();
  const socket = target.tls ? tls.connect({ host: target.host, port: target.port, ...target.tls }) : net.connect({ host: target.host, port: target.port });
  socket.setNoDelay(true);
  socket.cork();
  const transport: Transport = {
    write: (chunk) => void socket.write(chunk),
    flush: async () => {
      socket.uncork();
      if (socket.writableNeedDrain) await drained(socket);
      socket.cork();
    },
    close: () => void socket.end(),
  };
  const association = new Association(transport);
  socket.on('data', (chunk: Buffer) => association.receive(chunk));
  socket.on('error', (err) => association.fail(err));
  socket.on('close', () => association.fail(new AssociationFailure('connection closed')));
  // Inactivity timer for the whole life of the socket: a run never idles, and holding idle
  // associations asks for a timeout longer than the hold.
  socket.setTimeout(target.timeoutMs, () => {
    association.fail(new AssociationFailure(`no progress within ${target.timeoutMs} ms`));
    socket.destroy();
  });
  try {
    await association.associate({ calledAeTitle: target.calledAeTitle, callingAeTitle: target.callingAeTitle, maxPduLength: target.maxPduLength, proposals });
  } catch (err) {
    socket.destroy();
    throw err;
  }
  return { association, setupMs: performance.now() - started, destroy: () => socket.destroy() };
}

function drained(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
