/**
 * The association over xk6-net's socket (`k6/x/net`), for the k6 scripts. Typed structurally
 * and free of k6 imports, so node:test can drive it with a stand-in socket over node:net.
 * xk6-net writes each call with one blocking conn.Write, so chunks are gathered and sent as one
 * buffer per flush (per request, or per 4 MB of a large one).
 */
import { concat } from '../synthetic/elements.ts';
import { Association, AssociationFailure, type AssociateParams, type Transport } from './association.ts';

export interface NetSocketConfig {
  timeout?: number;
  tls?: boolean;
  serverName?: string;
  insecureSkipVerify?: boolean;
  encoding?: 'binary';
  lengthFieldLength?: 0;
  maxLength?: 0;
}

/** What we use of xk6-net's `Socket`. Data arrives as raw chunks (no framing configured). */
export interface NetSocket {
  connect(host: string, port: number, config: NetSocketConfig): void;
  on(event: 'data', handler: (data: ArrayBuffer | Uint8Array) => void): void;
  on(event: 'error', handler: (err: unknown) => void): void;
  on(event: 'end', handler: () => void): void;
  write(data: ArrayBuffer): void;
  close(): void;
}

export async function associateOverNetSocket(socket: NetSocket, host: string, port: number, config: NetSocketConfig, params: AssociateParams, answerTimeoutMs = 60_000): Promise<Association> {
  let pending: Uint8Array[] = [];
  const transport: Transport = {
    write: (chunk) => void pending.push(chunk),
    flush: () => {
      if (pending.length === 0) return;
      // xk6-net takes an ArrayBuffer: send exactly the message, whatever view concat returned.
      const bytes = concat(pending);
      pending = [];
      const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      socket.write((whole ? bytes.buffer : bytes.slice().buffer) as ArrayBuffer);
    },
    close: () => socket.close(),
  };
  const association = new Association(transport, answerTimeoutMs);
  socket.on('data', (data) => association.receive(data instanceof Uint8Array ? data : new Uint8Array(data)));
  socket.on('error', (err) => association.fail(err instanceof Error ? err : new AssociationFailure(String(err))));
  socket.on('end', () => association.fail(new AssociationFailure('connection closed')));
  // No framing: xk6-net then hands every read to 'data' as it comes.
  socket.connect(host, port, { ...config, encoding: 'binary', lengthFieldLength: 0, maxLength: 0 });
  await association.associate(params);
  return association;
}
