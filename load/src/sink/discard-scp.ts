/**
 * A Store SCP that accepts every association and presentation context, throws every dataset
 * away and answers success: the ceiling a sender can reach on this box, to show the load
 * generator is not the bottleneck. Built on the scp-core codecs, zero-copy on receive.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  CommandField,
  PcResult,
  PduReader,
  PduType,
  decodeCommand,
  encodeCommand,
  encodePdu,
  pdataHeader,
  type AssociateRq,
  type Command,
} from '@storescp/scp-core';
import { concat } from '../synthetic/elements.ts';

export interface DiscardScp {
  port: number;
  /** Dataset bytes received, C-STOREs answered and connections accepted so far. */
  readonly received: { bytes: number; stores: number; connections: number };
  close(): Promise<void>;
}

const MAX_PDU = 262144;

export async function startDiscardScp(port = 0, host = '127.0.0.1'): Promise<DiscardScp> {
  const received = { bytes: 0, stores: 0, connections: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    received.connections++;
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    serve(socket, received);
  });
  await new Promise<void>((resolve) => server.listen({ port, host, backlog: 4096 }, resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function serve(socket: net.Socket, received: { bytes: number; stores: number }): void {
  socket.setNoDelay(true);
  let commandChunks: Uint8Array[] = [];
  let request: Command | undefined;
  const respond = (pcId: number, response: Command) => {
    const bytes = encodeCommand(response);
    socket.cork();
    socket.write(pdataHeader(pcId, true, true, bytes.length));
    socket.write(bytes);
    socket.uncork();
  };
  const answer = (pcId: number, rq: Command) => {
    const isStore = rq.commandField === CommandField.CStoreRq;
    if (isStore) received.stores++;
    respond(pcId, {
      commandField: isStore ? CommandField.CStoreRsp : CommandField.CEchoRsp,
      messageIdBeingRespondedTo: rq.messageId ?? 0,
      affectedSopClassUid: rq.affectedSopClassUid ?? '',
      ...(isStore ? { affectedSopInstanceUid: rq.affectedSopInstanceUid ?? '' } : {}),
      hasDataset: false,
      status: 0,
    });
  };
  const reader = new PduReader(
    {
      onPdu(pdu) {
        if (pdu.type === PduType.AssociateRq) socket.write(acceptAll(pdu));
        else if (pdu.type === PduType.ReleaseRq) socket.end(encodePdu({ type: PduType.ReleaseRp }));
        else socket.destroy();
      },
      onPDataStart() {},
      onPdvData(_pc, isCommand, data) {
        if (isCommand) commandChunks.push(data.slice());
        else received.bytes += data.length;
      },
      onPdvEnd(pcId, isCommand, isLast) {
        if (!isLast) return;
        if (isCommand) {
          const rq = decodeCommand(concat(commandChunks));
          commandChunks = [];
          if (rq.hasDataset) request = rq;
          else answer(pcId, rq);
        } else if (request) {
          answer(pcId, request);
          request = undefined;
        }
      },
    },
    256 * 1024,
    MAX_PDU,
  );
  socket.on('data', (chunk: Buffer) => {
    try {
      reader.push(chunk);
    } catch {
      socket.destroy();
    }
  });
}

/** An A-ASSOCIATE-AC accepting every proposed context with its first transfer syntax. */
export function acceptAll(rq: AssociateRq): Uint8Array {
  return encodePdu({
    type: PduType.AssociateAc,
    protocolVersion: 1,
    calledAeTitle: rq.calledAeTitle,
    callingAeTitle: rq.callingAeTitle,
    applicationContext: rq.applicationContext,
    presentationContexts: rq.presentationContexts.map((pc) => ({ id: pc.id, result: PcResult.Acceptance, transferSyntax: pc.transferSyntaxes[0]! })),
    userInformation: { maxPduLength: MAX_PDU, implementationClassUid: '1.2.826.0.1.3680043.10.1512.2.3', implementationVersionName: 'DISCARD_SCP' },
  });
}
