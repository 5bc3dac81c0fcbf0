/**
 * A lean Service Class User over node:net on the same codecs as the SCP: association, C-ECHO,
 * C-STORE of raw dataset bytes (sent unchanged, fragmented to the peer's maximum PDU), release
 * and abort. Used by the load generator and by the tests as a second, byte-exact sender.
 */
import net from 'node:net';
import tls from 'node:tls';
import { encodePdu, decodePdu, pdataHeader, pdvFrames } from '../pdu/codec.ts';
import { dataView } from '../pdu/bytes.ts';
import { PduType, type AssociateAc, type AssociateRj, type Pdu } from '../pdu/types.ts';
import { CommandField, decodeCommand, encodeCommand, type Command } from '../dimse/command.ts';
import { VERIFICATION_SOP_CLASS } from '../acse/uids.ts';
import { acceptedContexts, associateRq, cStoreRq, maxPdvData, type ProposedContext } from './requests.ts';

export interface ScuOptions {
  host: string;
  port: number;
  calledAeTitle: string;
  callingAeTitle?: string;
  /** Presentation contexts to propose; ids are assigned 1, 3, 5… in this order. */
  contexts: ProposedContext[];
  maxPduLength?: number;
  tls?: tls.ConnectionOptions;
  /** Gives up on any single wait after this long. */
  timeoutMs?: number;
}

export class AssociationRejected extends Error {
  constructor(readonly rj: AssociateRj) {
    super(`association rejected: result ${rj.result}, source ${rj.source}, reason ${rj.reason}`);
    this.name = 'AssociationRejected';
  }
}

export class AssociationAborted extends Error {
  override name = 'AssociationAborted';
}

interface Waiter {
  resolve(pdu: Pdu): void;
  reject(err: Error): void;
}

export class Scu {
  /** Accepted contexts by abstract syntax: [id, transfer syntax]. */
  readonly accepted = new Map<string, { id: number; transferSyntax: string }>();
  /** Largest PDV payload the SCP accepts (from its A-ASSOCIATE-AC). */
  private maxPdv = 16384 - 6;
  private buffered: Uint8Array[] = [];
  private bufferedLength = 0;
  private readonly pdus: Pdu[] = [];
  private waiter: Waiter | undefined;
  private ended: Error | undefined;
  private messageId = 0;
  private commandParts: Uint8Array[] = [];

  private constructor(
    readonly socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new AssociationAborted('connection closed')));
  }

  static async connect(opts: ScuOptions): Promise<Scu> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = opts.tls ? tls.connect({ host: opts.host, port: opts.port, ...opts.tls }) : net.connect({ host: opts.host, port: opts.port });
      s.once(opts.tls ? 'secureConnect' : 'connect', () => resolve(s));
      s.once('error', reject);
    });
    const scu = new Scu(socket, opts.timeoutMs ?? 30_000);
    await scu.associate(opts);
    return scu;
  }

  /** Connects without associating: for tests that speak raw bytes. */
  static async raw(host: string, port: number): Promise<Scu> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect({ host, port }, () => resolve(s));
      s.once('error', reject);
    });
    return new Scu(socket, 30_000);
  }

  private async associate(opts: ScuOptions): Promise<void> {
    const rq = associateRq({
      calledAeTitle: opts.calledAeTitle,
      callingAeTitle: opts.callingAeTitle ?? 'STORESCU',
      maxPduLength: opts.maxPduLength ?? 262144,
      contexts: opts.contexts,
      implementationClassUid: '1.2.826.0.1.3680043.10.1512.1.2',
      implementationVersionName: 'STORESCP_SCU',
    });
    this.socket.write(encodePdu(rq));
    const pdu = await this.nextPdu();
    if (pdu.type === PduType.AssociateRj) throw new AssociationRejected(pdu);
    if (pdu.type !== PduType.AssociateAc) throw new Error(`expected A-ASSOCIATE-AC, got PDU type ${pdu.type}`);
    const ac = pdu as AssociateAc;
    this.maxPdv = maxPdvData(ac);
    for (const c of acceptedContexts(rq, ac)) this.accepted.set(c.abstractSyntax, { id: c.id, transferSyntax: c.transferSyntax });
  }

  /** Writes bytes as they are (for hostile-peer tests). */
  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  async echo(): Promise<number> {
    const ctx = this.contextFor(VERIFICATION_SOP_CLASS);
    this.sendCommand(ctx.id, { commandField: CommandField.CEchoRq, messageId: ++this.messageId, affectedSopClassUid: VERIFICATION_SOP_CLASS, hasDataset: false });
    return (await this.nextCommand()).status ?? -1;
  }

  /** C-STORE of `dataset` (bytes in the accepted transfer syntax, sent unchanged). Resolves with the response. */
  async store(sopClassUid: string, sopInstanceUid: string, dataset: Uint8Array): Promise<Command> {
    this.sendDataset(this.beginStore(sopClassUid, sopInstanceUid), dataset);
    return this.nextCommand();
  }

  /** Sends a C-STORE-RQ command only; the caller sends (some of) its dataset with sendDataset on the context returned. */
  beginStore(sopClassUid: string, sopInstanceUid: string, messageId = ++this.messageId): number {
    const ctx = this.contextFor(sopClassUid);
    this.sendCommandBytes(ctx.id, cStoreRq(messageId, sopClassUid, sopInstanceUid));
    return ctx.id;
  }

  /** Sends the command only; the caller sends (some of) the dataset with sendDataset. */
  sendCommand(pcId: number, command: Command): void {
    this.sendCommandBytes(pcId, encodeCommand(command));
  }

  private sendCommandBytes(pcId: number, bytes: Uint8Array): void {
    this.socket.write(pdataHeader(pcId, true, true, bytes.length));
    this.socket.write(bytes);
  }

  /** The dataset as PDVs no larger than the SCP accepts; `last` false leaves it unfinished. */
  sendDataset(pcId: number, dataset: Uint8Array, last = true): void {
    for (const frame of pdvFrames(pcId, false, [dataset], dataset.length, this.maxPdv, last)) this.socket.write(frame);
  }

  contextFor(abstractSyntax: string): { id: number; transferSyntax: string } {
    const ctx = this.accepted.get(abstractSyntax);
    if (!ctx) throw new Error(`no accepted presentation context for ${abstractSyntax}`);
    return ctx;
  }

  async release(): Promise<void> {
    this.socket.write(encodePdu({ type: PduType.ReleaseRq }));
    const pdu = await this.nextPdu();
    if (pdu.type !== PduType.ReleaseRp) throw new Error(`expected A-RELEASE-RP, got PDU type ${pdu.type}`);
    this.socket.end();
  }

  abort(): void {
    this.socket.end(encodePdu({ type: PduType.Abort, source: 0, reason: 0 }));
  }

  /** The next PDU from the peer (A-ABORT and close surface as AssociationAborted). */
  nextPdu(): Promise<Pdu> {
    const ready = this.pdus.shift();
    if (ready) return Promise.resolve(ready);
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no PDU within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.waiter = {
        resolve: (p) => (clearTimeout(timer), resolve(p)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
    });
  }

  /** The next DIMSE command from the peer (for callers that send with sendCommand). */
  async nextCommand(): Promise<Command> {
    for (;;) {
      const pdu = await this.nextPdu();
      if (pdu.type === PduType.Abort) throw new AssociationAborted(`peer aborted (source ${pdu.source}, reason ${pdu.reason})`);
      if (pdu.type !== PduType.PData) throw new Error(`expected P-DATA-TF, got PDU type ${pdu.type}`);
      for (const pdv of pdu.pdvs) {
        if (!pdv.isCommand) continue;
        this.commandParts.push(pdv.data);
        if (pdv.isLast) {
          const bytes = Buffer.concat(this.commandParts);
          this.commandParts = [];
          return decodeCommand(bytes);
        }
      }
    }
  }

  private onData(chunk: Buffer): void {
    this.buffered.push(chunk);
    this.bufferedLength += chunk.length;
    for (;;) {
      if (this.bufferedLength < 6) return;
      const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
      this.buffered = [all];
      const length = dataView(all).getUint32(2, false);
      if (all.length < 6 + length) return;
      const pdu = decodePdu(all[0]!, all.subarray(6, 6 + length));
      const rest = all.subarray(6 + length);
      this.buffered = rest.length ? [rest] : [];
      this.bufferedLength = rest.length;
      this.deliver(pdu);
    }
  }

  private deliver(pdu: Pdu): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve(pdu);
    } else this.pdus.push(pdu);
  }

  private fail(err: Error): void {
    if (this.ended) return;
    this.ended = err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  close(): void {
    this.socket.destroy();
  }
}
