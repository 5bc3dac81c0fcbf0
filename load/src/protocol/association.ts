/**
 * One client association as a runtime-agnostic state machine on the scp-core codecs: it builds
 * A-ASSOCIATE-RQ, C-STORE/C-ECHO as P-DATA-TF and A-RELEASE, and parses the answers, over any
 * transport that can write bytes and hand back what it reads. The Node load generator runs it
 * over node:net (corked writev, back-pressure), the k6 scripts over xk6-net's socket: the same
 * encoding in both, tested here with node:test.
 *
 * A C-STORE's dataset is given as parts (synthetic instances share one frame, so a 200 MB
 * instance is never assembled) and is sliced into PDVs without copying. Callers normally wait for
 * each answer, like storescu; requests made without waiting are sent one after another and their
 * answers matched in order by message ID, whether or not the peer negotiated an asynchronous
 * operations window (some senders do this; the load generator's `--window` tests how a receiver
 * copes).
 */
import {
  CommandField,
  PduReader,
  PduType,
  TransferSyntax,
  VERIFICATION_SOP_CLASS,
  acceptedContexts,
  associateRq,
  cStoreRq,
  decodeCommand,
  encodeCommand,
  encodePdu,
  maxPdvData,
  pdvFrames,
  type AssociateAc,
  type Command,
  type Pdu,
  type PData,
} from '@storescp/scp-core';
import { concat } from '../synthetic/elements.ts';
import type { OutgoingInstance } from '../synthetic/in-memory.ts';


/** One (SOP class, transfer syntax) pair per presentation context, so the dataset is sent as it is. */
export interface ContextProposal {
  abstractSyntax: string;
  transferSyntax: string;
}

export interface AssociateParams {
  calledAeTitle: string;
  callingAeTitle: string;
  /** Largest PDU we accept (answers are small; the peer only keeps it in its books). */
  maxPduLength: number;
  proposals: ContextProposal[];
}

export interface Transport {
  write(chunk: Uint8Array): void;
  /**
   * Called after each request's last chunk and every FLUSH_BYTES within a large one: send what
   * was written, and resolve once the transport can take more (bounds memory for 200 MB instances).
   */
  flush(): Promise<void> | void;
  close(): void;
}

/** The peer ended the association, refused it, or broke the protocol: every wait fails with this. */
export class AssociationFailure extends Error {
  override name = 'AssociationFailure';
}

interface Waiter {
  messageId?: number;
  resolve(value: Pdu | Command): void;
  reject(err: Error): void;
}

export const FLUSH_BYTES = 4 * 1024 * 1024;
const contextKey = (abstractSyntax: string, transferSyntax: string) => `${abstractSyntax}|${transferSyntax}`;

export class Association {
  private readonly contexts = new Map<string, number>();
  private readonly reader: PduReader;
  private maxPdvData = 16384 - 6;
  private messageId = 0;
  private commandChunks: Uint8Array[] = [];
  /** Answers awaited, oldest first; `messageId` is set for DIMSE requests. */
  private readonly waiters: Waiter[] = [];
  /** The last request's send: a request's PDUs are written after the one before it has been. */
  private sending: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private answerTimer: ReturnType<typeof setTimeout> | undefined;

  /** `answerTimeoutMs`: fail a wait for the peer after this long (k6 has no socket timeout of its own). */
  constructor(
    private readonly transport: Transport,
    private readonly answerTimeoutMs?: number,
  ) {
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
  }

  /** Bytes read from the transport. */
  receive(chunk: Uint8Array): void {
    try {
      this.reader.push(chunk);
    } catch (err) {
      this.failAndClose(err as Error);
    }
  }

  /** The transport broke or closed. */
  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    clearTimeout(this.answerTimer);
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  async associate(params: AssociateParams): Promise<void> {
    const rq = associateRq({
      calledAeTitle: params.calledAeTitle,
      callingAeTitle: params.callingAeTitle,
      maxPduLength: params.maxPduLength,
      contexts: params.proposals.map((p) => ({ abstractSyntax: p.abstractSyntax, transferSyntaxes: [p.transferSyntax] })),
      implementationClassUid: '1.2.826.0.1.3680043.10.1512.2.2',
      implementationVersionName: 'STORESCP_LOAD',
    });
    const pdu = await this.exchange<Pdu>(async () => this.transport.write(encodePdu(rq)));
    if (pdu.type === PduType.AssociateRj) {
      this.transport.close();
      throw new AssociationFailure(`association rejected (result ${pdu.result}, source ${pdu.source}, reason ${pdu.reason})`);
    }
    if (pdu.type !== PduType.AssociateAc) throw new AssociationFailure(`expected A-ASSOCIATE-AC, got PDU type ${pdu.type}`);
    const ac = pdu as AssociateAc;
    this.maxPdvData = maxPdvData(ac);
    for (const c of acceptedContexts(rq, ac)) this.contexts.set(contextKey(c.abstractSyntax, c.transferSyntax), c.id);
  }

  /** Whether the peer accepted this SOP class in this transfer syntax. */
  accepts(abstractSyntax: string, transferSyntax: string): boolean {
    return this.contexts.has(contextKey(abstractSyntax, transferSyntax));
  }

  /** C-STORE of the instance's dataset bytes, unchanged. Resolves with the DIMSE status. */
  store(inst: OutgoingInstance): Promise<number> {
    const pcId = this.contextId(inst.sopClassUid, inst.transferSyntaxUid);
    const messageId = this.nextMessageId();
    const command = cStoreRq(messageId, inst.sopClassUid, inst.sopInstanceUid);
    return this.request(messageId, async () => {
      await this.writePdvs(pcId, true, [command], command.length);
      await this.writePdvs(pcId, false, inst.parts, inst.length);
    });
  }

  echo(): Promise<number> {
    const pcId = this.contextId(VERIFICATION_SOP_CLASS, TransferSyntax.ImplicitVRLittleEndian);
    const messageId = this.nextMessageId();
    const command = encodeCommand({ commandField: CommandField.CEchoRq, messageId, affectedSopClassUid: VERIFICATION_SOP_CLASS, hasDataset: false });
    return this.request(messageId, () => this.writePdvs(pcId, true, [command], command.length));
  }

  async release(): Promise<void> {
    const pdu = await this.exchange<Pdu>(async () => this.transport.write(encodePdu({ type: PduType.ReleaseRq })));
    if (pdu.type !== PduType.ReleaseRp) throw new AssociationFailure(`expected A-RELEASE-RP, got PDU type ${pdu.type}`);
    this.transport.close();
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

  private async request(messageId: number, send: () => Promise<void>): Promise<number> {
    return (await this.exchange<Command>(send, messageId)).status ?? -1;
  }

  /**
   * Sends (after any send still under way) and waits for the answer, which is awaited before
   * sending (the peer may answer early). Both are awaited together: when the association has
   * already failed, the send throws and the answer rejects too, and that rejection must not go
   * unhandled (it would end the process).
   */
  private async exchange<T extends Pdu | Command>(send: () => Promise<void>, messageId?: number): Promise<T> {
    const answer = this.next<T>(messageId);
    const sent = this.sending.then(send).then(() => this.transport.flush());
    // A send that fails fails the association: its answer will never come.
    this.sending = sent.catch((err: Error) => this.fail(err));
    const [, value] = await Promise.all([sent, answer]);
    return value;
  }

  /** Writes the bytes as P-DATA-TF PDUs no larger than the peer accepts, flushing every FLUSH_BYTES. */
  private async writePdvs(pcId: number, isCommand: boolean, parts: Uint8Array[], length: number): Promise<void> {
    let queued = 0;
    for (const frame of pdvFrames(pcId, isCommand, parts, length, this.maxPdvData)) {
      if (this.failure) throw this.failure;
      this.transport.write(frame);
      queued += frame.length;
      if (queued >= FLUSH_BYTES) {
        queued = 0;
        await this.transport.flush();
      }
    }
  }

  private next<T extends Pdu | Command>(messageId?: number): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const answer = new Promise<T>((resolve, reject) => {
      this.waiters.push({ ...(messageId !== undefined ? { messageId } : {}), resolve: resolve as (v: Pdu | Command) => void, reject });
    });
    if (this.waiters.length === 1) this.armTimer();
    return answer;
  }

  /** The timeout runs while any answer is awaited and restarts at each answer. */
  private armTimer(): void {
    clearTimeout(this.answerTimer);
    if (this.answerTimeoutMs === undefined || this.waiters.length === 0) return;
    const ms = this.answerTimeoutMs;
    this.answerTimer = setTimeout(() => this.failAndClose(new AssociationFailure(`no answer within ${ms} ms`)), ms);
  }

  /** The peer cannot be trusted with the association any more. */
  private failAndClose(err: Error): void {
    this.fail(err);
    this.transport.close();
  }

  private settle(value: Exclude<Pdu, PData> | Command): void {
    const w = this.waiters.shift();
    const isCommand = 'commandField' in value;
    if (!w) return this.failAndClose(new AssociationFailure(`unexpected ${isCommand ? `command 0x${value.commandField.toString(16)}` : `PDU type ${value.type}`} from the peer`));
    if (isCommand && value.messageIdBeingRespondedTo !== w.messageId) {
      w.reject(new AssociationFailure(`answer to message ${value.messageIdBeingRespondedTo}, expected ${w.messageId}`));
      return this.failAndClose(new AssociationFailure('answers out of order'));
    }
    this.armTimer();
    w.resolve(value);
  }
}
