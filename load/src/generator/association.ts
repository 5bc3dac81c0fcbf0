/**
 * The load generator's client association, on the scp-core codecs. Not `Scu`: a C-STORE here
 * takes its dataset as parts (synthetic instances share one frame, so a 200 MB instance is never
 * assembled), each instance leaves in a few corked writev calls rather than one write per PDU
 * fragment, responses are parsed with the zero-copy `PduReader`, and setup time is measured.
 */
import net from 'node:net';
import tls from 'node:tls';
import {
  CommandField,
  DICOM_APPLICATION_CONTEXT,
  PduReader,
  PduType,
  decodeCommand,
  encodeCommand,
  encodePdu,
  pdataHeader,
  type AssociateAc,
  type Command,
  type Pdu,
  type PData,
} from '@storescp/scp-core';
import { concat } from '../synthetic/elements.ts';
import type { OutgoingInstance } from '../synthetic/in-memory.ts';

export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';
export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';

export interface Target {
  host: string;
  port: number;
  calledAeTitle: string;
  callingAeTitle: string;
  /** Largest PDU we accept (the responses are small; this only matters to the peer's bookkeeping). */
  maxPduLength: number;
  tls?: tls.ConnectionOptions;
  /** Fails a connect, association or response that makes no progress for this long. */
  timeoutMs: number;
}

/** One (SOP class, transfer syntax) pair per presentation context, so the dataset is sent as it is. */
export interface ContextProposal {
  abstractSyntax: string;
  transferSyntax: string;
}

/** The peer ended the association, or it broke: every outstanding wait fails with this. */
export class AssociationFailure extends Error {
  override name = 'AssociationFailure';
}

// Bytes queued before we let the socket drain: bounds memory for 200 MB instances without
// splitting a 0.5 MB instance into more than one writev.
const FLUSH_BYTES = 4 * 1024 * 1024;
const contextKey = (abstractSyntax: string, transferSyntax: string) => `${abstractSyntax}|${transferSyntax}`;

export class ClientAssociation {
  /** Milliseconds from connect() to A-ASSOCIATE-AC. */
  setupMs = 0;
  private readonly contexts = new Map<string, number>();
  private readonly reader: PduReader;
  private maxPdvData = 16384 - 6;
  private messageId = 0;
  private commandChunks: Uint8Array[] = [];
  private waiter: { resolve(value: Pdu | Command): void; reject(err: Error): void } | undefined;
  private failure: Error | undefined;
  private readonly closed: Promise<never>;
  private rejectClosed!: (err: Error) => void;

  private constructor(
    private readonly socket: net.Socket,
    private readonly timeoutMs: number,
  ) {
    this.closed = new Promise<never>((_, reject) => (this.rejectClosed = reject));
    this.closed.catch(() => {}); // observed through fail(); never an unhandled rejection
    this.reader = new PduReader(
      {
        onPdu: (pdu) => (pdu.type === PduType.Abort ? this.fail(new AssociationFailure(`peer aborted (source ${pdu.source}, reason ${pdu.reason})`)) : this.settle(pdu)),
        onPDataStart: () => {},
        onPdvData: (_pc, isCommand, data) => {
          if (isCommand) this.commandChunks.push(data.slice());
        },
        onPdvEnd: (_pc, isCommand, isLast) => {
          if (!isCommand || !isLast) return;
          const bytes = this.commandChunks.length === 1 ? this.commandChunks[0]! : concat(this.commandChunks);
          this.commandChunks = [];
          this.settle(decodeCommand(bytes));
        },
      },
      256 * 1024,
      16 * 1024 * 1024,
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.reader.push(chunk);
      } catch (err) {
        this.fail(err as Error);
        socket.destroy();
      }
    });
    socket.on('timeout', () => {
      this.fail(new AssociationFailure(`no answer within ${timeoutMs} ms`));
      socket.destroy();
    });
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new AssociationFailure('connection closed')));
  }

  static async open(target: Target, proposals: ContextProposal[]): Promise<ClientAssociation> {
    const started = performance.now();
    const socket = target.tls ? tls.connect({ host: target.host, port: target.port, ...target.tls }) : net.connect({ host: target.host, port: target.port });
    const assoc = new ClientAssociation(socket, target.timeoutMs);
    socket.setTimeout(target.timeoutMs);
    const presentationContexts = proposals.map((p, i) => ({ id: i * 2 + 1, abstractSyntax: p.abstractSyntax, transferSyntaxes: [p.transferSyntax] }));
    const answer = assoc.next<Pdu>();
    socket.write(
      encodePdu({
        type: PduType.AssociateRq,
        protocolVersion: 1,
        calledAeTitle: target.calledAeTitle,
        callingAeTitle: target.callingAeTitle,
        applicationContext: DICOM_APPLICATION_CONTEXT,
        presentationContexts,
        userInformation: { maxPduLength: target.maxPduLength, implementationClassUid: '1.2.826.0.1.3680043.10.1512.2.2', implementationVersionName: 'STORESCP_LOAD' },
      }),
    );
    const pdu = await answer;
    if (pdu.type === PduType.AssociateRj) {
      socket.destroy();
      throw new AssociationFailure(`association rejected (result ${pdu.result}, source ${pdu.source}, reason ${pdu.reason})`);
    }
    if (pdu.type !== PduType.AssociateAc) throw new AssociationFailure(`expected A-ASSOCIATE-AC, got PDU type ${pdu.type}`);
    const ac = pdu as AssociateAc;
    // A peer that states no limit (0) gets our fragments at 256 KB anyway: every SCP we know accepts that.
    assoc.maxPdvData = (ac.userInformation.maxPduLength || 262144) - 6;
    for (const pc of ac.presentationContexts) {
      const rq = presentationContexts.find((c) => c.id === pc.id);
      if (rq && pc.result === 0) assoc.contexts.set(contextKey(rq.abstractSyntax, rq.transferSyntaxes[0]!), pc.id);
    }
    assoc.setupMs = performance.now() - started;
    socket.setTimeout(0);
    return assoc;
  }

  /** Whether the peer accepted this SOP class in this transfer syntax. */
  accepts(abstractSyntax: string, transferSyntax: string): boolean {
    return this.contexts.has(contextKey(abstractSyntax, transferSyntax));
  }

  /** C-STORE of the instance's dataset bytes, unchanged. Resolves with the DIMSE status. */
  async store(inst: OutgoingInstance): Promise<number> {
    const pcId = this.contextId(inst.sopClassUid, inst.transferSyntaxUid);
    const command = encodeCommand({
      commandField: CommandField.CStoreRq,
      messageId: this.nextMessageId(),
      affectedSopClassUid: inst.sopClassUid,
      affectedSopInstanceUid: inst.sopInstanceUid,
      priority: 0,
      hasDataset: true,
    });
    return this.request(async () => {
      this.socket.cork();
      await this.writePdvs(pcId, true, [command], command.length);
      await this.writePdvs(pcId, false, inst.parts, inst.length);
      this.socket.uncork();
    });
  }

  async echo(): Promise<number> {
    const pcId = this.contextId(VERIFICATION_SOP_CLASS, IMPLICIT_VR_LITTLE_ENDIAN);
    const command = encodeCommand({ commandField: CommandField.CEchoRq, messageId: this.nextMessageId(), affectedSopClassUid: VERIFICATION_SOP_CLASS, hasDataset: false });
    return this.request(async () => {
      this.socket.cork();
      await this.writePdvs(pcId, true, [command], command.length);
      this.socket.uncork();
    });
  }

  async release(): Promise<void> {
    this.socket.setTimeout(this.timeoutMs);
    const answer = this.next<Pdu>();
    this.socket.write(encodePdu({ type: PduType.ReleaseRq }));
    const pdu = await answer;
    if (pdu.type !== PduType.ReleaseRp) throw new AssociationFailure(`expected A-RELEASE-RP, got PDU type ${pdu.type}`);
    this.socket.end();
  }

  close(): void {
    this.socket.destroy();
  }

  private contextId(abstractSyntax: string, transferSyntax: string): number {
    const id = this.contexts.get(contextKey(abstractSyntax, transferSyntax));
    if (id === undefined) throw new AssociationFailure(`no accepted presentation context for ${abstractSyntax} in ${transferSyntax}`);
    return id;
  }

  private nextMessageId(): number {
    this.messageId = (this.messageId % 0xffff) + 1;
    return this.messageId;
  }

  /** Sends a request (one at a time: no asynchronous operations window) and returns its response status. */
  private async request(send: () => Promise<void>): Promise<number> {
    this.socket.setTimeout(this.timeoutMs);
    const response = this.next<Command>();
    await Promise.race([send(), this.closed]);
    const command = await response;
    this.socket.setTimeout(0);
    return command.status ?? -1;
  }

  /**
   * Writes `length` bytes taken from `parts` as P-DATA-TF PDUs of one PDV each, no larger than the
   * peer accepts. Slices, never copies; lets the socket drain every FLUSH_BYTES.
   */
  private async writePdvs(pcId: number, isCommand: boolean, parts: Uint8Array[], length: number): Promise<void> {
    let part = 0;
    let offset = 0;
    let left = length;
    let queued = 0;
    do {
      const n = Math.min(this.maxPdvData, left);
      left -= n;
      this.socket.write(pdataHeader(pcId, isCommand, left === 0, n));
      for (let need = n; need > 0; ) {
        const p = parts[part]!;
        const take = Math.min(need, p.length - offset);
        if (take > 0) this.socket.write(take === p.length ? p : p.subarray(offset, offset + take));
        offset += take;
        need -= take;
        if (offset === p.length) {
          part++;
          offset = 0;
        }
      }
      queued += n;
      if (queued >= FLUSH_BYTES && left > 0) {
        queued = 0;
        this.socket.uncork();
        if (this.socket.writableNeedDrain) await Promise.race([new Promise((resolve) => this.socket.once('drain', resolve)), this.closed]);
        this.socket.cork();
      }
    } while (left > 0);
  }

  private next<T extends Pdu | Command>(): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.waiter = { resolve: resolve as (v: Pdu | Command) => void, reject };
    });
  }

  private settle(value: Exclude<Pdu, PData> | Command): void {
    const w = this.waiter;
    this.waiter = undefined;
    if (w) w.resolve(value);
    else this.fail(new AssociationFailure(`unexpected ${'commandField' in value ? `command 0x${value.commandField.toString(16)}` : `PDU type ${value.type}`} from the peer`));
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.rejectClosed(err);
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }
}
