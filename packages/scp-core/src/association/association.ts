/**
 * One DICOM association over one socket: the upper-layer state machine of PS3.8 9.2 reduced to
 * what an acceptor needs (awaiting A-ASSOCIATE-RQ, established, releasing, closed), plus the
 * DIMSE message assembly and the dispatch to Verification and Storage.
 *
 * It owns the behaviours a generic DIMSE library leaves open: the socket is paused for
 * backpressure, our timers never run while we are the ones working nor count a stall of our own
 * against the peer, and an abort always destroys the socket.
 */
import type { Socket } from 'node:net';
import { type AcceptedContext, type NegotiationPolicy, limitExceeded, negotiate } from '../acse/negotiation.ts';
import { VERIFICATION_SOP_CLASS } from '../acse/uids.ts';
import { type Command, CommandField, DimseError, decodeCommand, encodeCommand } from '../dimse/command.ts';
import { encodePdu, pdvFrames } from '../pdu/codec.ts';
import { PduReader } from '../pdu/reader.ts';
import { AbortReason, AbortSource, type AssociateRq, type PData, type Pdu, PduError, PduType } from '../pdu/types.ts';
import { readSocket } from './socket-reads.ts';
import { echoResponse } from '../services/verification.ts';
import type { FlowControl, IncomingDataset, PauseReason, StoreService } from '../services/store-service.ts';
import type { BatchTracker } from '../batch/batch-tracker.ts';
import type { AssociationInfo, StoreResult } from '@storescp/workers/contracts';
import { concatBytes } from '@storescp/workers/bytes';
import type { Logger } from '../log.ts';
import type { ScpMetrics } from '../metrics/registry.ts';

export interface AssociationOptions {
  policy: NegotiationPolicy;
  networkTimeoutMs: number;
  dimseTimeoutMs: number;
  /** Largest non-P-DATA PDU accepted (an A-ASSOCIATE-RQ with every context fits easily). */
  maxControlPduLength: number;
  /** Takes an association slot; false when MaximumAssociations are open. */
  admit(): boolean;
  /** Gives the slot back. */
  release(): void;
  storeService: StoreService;
  createBatchTracker(info: AssociationInfo): BatchTracker;
  log: Logger;
  metrics: ScpMetrics;
  onClose(association: Association): void;
}

type State = 'awaiting-rq' | 'established' | 'releasing' | 'closed';

/** The DIMSE message being received. */
interface IncomingMessage {
  pcId: number;
  commandParts: Uint8Array[];
  commandLength: number;
  command?: Command;
  /** Where dataset fragments go; absent while the command is incomplete or when they are discarded. */
  dataset?: IncomingDataset;
  datasetBytes?: number;
}

/**
 * No asynchronous operations window is negotiated, so a peer must wait for each answer: one that
 * sends on anyway is read only once the answer is out (as storescp does), so messages are handled,
 * answered and, for two copies of one instance, stored in the order they were sent.
 */
type OwnPauseReason = 'awaiting-answer';

const MAX_COMMAND_LENGTH = 64 * 1024;
const ABORT_LINGER_MS = 1000;

export class Association implements FlowControl {
  state: State = 'awaiting-rq';
  readonly peerAddress: string;
  readonly openedAt = Date.now();
  callingAeTitle = '';
  calledAeTitle = '';
  instancesStored = 0;
  bytesReceived = 0;
  readonly statusCounts = new Map<number, number>();

  private readonly reader: PduReader;
  /** The dataset whose staging buffer the socket's next read lands in. */
  private readingInto: IncomingDataset | undefined;
  private contexts = new Map<number, AcceptedContext>();
  private incoming: IncomingMessage | undefined;
  private outstanding = 0;
  /**
   * The peer sent a message before our answer to the last (it should wait: no asynchronous window
   * is negotiated). From then on its reads stop at PDU ends, so that what waits for our answer is
   * at most a command read or the rest of one PDU, not a whole read buffer per association. A
   * peer that waits reads as before: the rest of its message is all there is to read.
   */
  private sendsAhead = false;
  /** Of what the reader holds until our answer is out, the bytes counted in the byte budget. */
  private heldCounted = 0;
  /** Largest PDV payload the peer takes (its A-ASSOCIATE-RQ's maximum length; 0 there = no limit). */
  private peerMaxPdvData = Infinity;
  /** Why the socket is not being read; empty = reading. */
  private readonly pausedFor = new Set<PauseReason | OwnPauseReason>();
  private draining = false;
  private admitted = false;
  private batches: BatchTracker | undefined;
  private lastProgress = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private closeReason = '';
  private idleWaiters: (() => void)[] = [];
  /** Resolves when the socket is gone and the association's batches are closed. */
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  constructor(
    private readonly socket: Socket,
    private readonly opts: AssociationOptions,
  ) {
    this.peerAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`;
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.reader = new PduReader(
      {
        onPdu: (pdu) => this.onPdu(pdu),
        onPDataStart: () => this.onPDataStart(),
        onPdvStart: (pcId, isCommand) => this.onPdvStart(pcId, isCommand),
        onPdvData: (_pcId, isCommand, data) => this.onPdvData(isCommand, data),
        onPdvEnd: (_pcId, isCommand, isLast) => this.onPdvEnd(isCommand, isLast),
      },
      opts.maxControlPduLength,
      opts.policy.maxPduLength,
    );
    socket.setNoDelay(true);
    readSocket(
      socket,
      (chunk) => this.onData(chunk),
      () => this.nextReadTarget(),
    );
    socket.on('error', (err) => this.finish(`socket error: ${err.message}`));
    socket.on('close', () => this.finish(this.closeReason || 'peer closed the connection'));
    this.armTimer();
  }

  get info(): AssociationInfo {
    return { callingAeTitle: this.callingAeTitle, calledAeTitle: this.calledAeTitle, peerAddress: this.peerAddress };
  }

  get busy(): boolean {
    return this.incoming !== undefined || this.outstanding > 0;
  }

  // ------------------------------------------------------------- flow control

  private get paused(): boolean {
    return this.pausedFor.size > 0;
  }

  /** Held by the storage side: storescp_sockets_paused counts these, not peers awaiting our answer. */
  private get backpressured(): boolean {
    return this.pausedFor.size > (this.pausedFor.has('awaiting-answer') ? 1 : 0);
  }

  pause(reason: PauseReason | OwnPauseReason): void {
    if (this.state === 'closed' || this.pausedFor.has(reason)) return;
    if (!this.paused) this.socket.pause();
    if (reason !== 'awaiting-answer' && !this.backpressured) this.opts.metrics.socketsPaused.inc();
    this.pausedFor.add(reason);
  }

  resume(reason: PauseReason | OwnPauseReason): void {
    if (!this.pausedFor.delete(reason)) return;
    if (reason !== 'awaiting-answer' && !this.backpressured) this.opts.metrics.socketsPaused.dec();
    if (this.paused || this.state === 'closed') return;
    this.touch();
    this.socket.resume();
  }

  /** Graceful shutdown: no new work; abort once the messages in progress are answered. */
  drain(): void {
    this.draining = true;
    if (this.state === 'awaiting-rq') this.destroy('draining');
    else this.abortIfDrained();
  }

  // ------------------------------------------------------------- timers

  /** Progress resets the timer lazily: a number store per event, one timer per association. */
  private touch(): void {
    this.lastProgress = Date.now();
  }

  /** Which limit applies now: none while we owe the peer an answer or have stopped reading it. */
  private currentTimeout(): number | undefined {
    if (this.state === 'closed' || this.paused) return undefined;
    if (this.incoming) return this.opts.dimseTimeoutMs;
    if (this.outstanding > 0) return undefined;
    return this.opts.networkTimeoutMs;
  }

  /**
   * Never for longer than the shorter of the two limits: which limit applies changes without a
   * timer event (a message starts or ends, an answer goes out), and the shorter one must not wait
   * for the longer one to run out.
   */
  private armTimer(): void {
    const shorter = Math.min(this.opts.networkTimeoutMs, this.opts.dimseTimeoutMs);
    const timeout = this.currentTimeout() ?? shorter;
    const due = Math.max(10, Math.min(this.lastProgress + timeout - Date.now(), shorter));
    this.timer = setTimeout(() => this.onTimer(), due);
    this.timer.unref();
  }

  /**
   * `confirmed`: the limit had passed when the timer fired, and the reads that were waiting behind
   * it have run since. A loop turn runs due timers before it reads sockets, so after a stall of our
   * own (a GC pause, a starved CPU) a peer whose PDU already sits in the socket would be blamed.
   */
  private onTimer(confirmed = false): void {
    if (this.state === 'closed') return;
    const timeout = this.currentTimeout();
    if (timeout !== undefined && Date.now() - this.lastProgress >= timeout) {
      if (!confirmed) {
        setImmediate(() => this.onTimer(true));
        return;
      }
      const which = this.incoming ? 'DIMSE timeout: message not progressing' : 'network timeout: no PDU';
      if (this.state === 'awaiting-rq') this.refused('artim-timeout', which);
      else this.opts.metrics.associationsRejected.inc({ reason: 'timeout' });
      this.abort(which, AbortReason.NotSpecified);
      return;
    }
    if (timeout === undefined) this.touch();
    this.armTimer();
  }

  // ------------------------------------------------------------- input

  /**
   * After each read: the dataset being received lends its staging buffer for the next one; between
   * messages, while the pool is backlogged, only the next command is read.
   */
  private nextReadTarget(): Uint8Array | number | undefined {
    this.readingInto?.readDone?.();
    this.readingInto = undefined;
    if (this.state !== 'established') return undefined;
    if (!this.incoming && (this.sendsAhead || this.opts.storeService.backlogged)) return COMMAND_READ_BYTES;
    const dataset = this.incoming?.dataset;
    const target = dataset?.readTarget?.();
    if (target) this.readingInto = dataset;
    return this.sendsAhead ? capped(target, this.reader.pduRemaining || COMMAND_READ_BYTES) : target;
  }

  private onData(chunk: Uint8Array): void {
    if (this.state === 'closed') return;
    try {
      this.reader.push(chunk);
    } catch (err) {
      return this.onReadError(err);
    }
    // Sent before our answer: kept by the reader, and the rest stays in the socket.
    if (this.reader.heldBytes > 0) {
      this.sendsAhead = true;
      this.pause('awaiting-answer');
      this.countHeld(this.reader.heldBytes);
    }
  }

  /** Every answer is out: what the peer sent meanwhile is read now. */
  private readHeldBytes(): void {
    if (this.state === 'closed') return;
    // Given back first: re-read, the bytes count again as the datasets they belong to.
    this.countHeld(0);
    try {
      this.reader.release();
    } catch (err) {
      return this.onReadError(err);
    }
    this.countHeld(this.reader.heldBytes);
    if (this.reader.heldBytes === 0) this.resume('awaiting-answer');
  }

  /** Held bytes are received bytes no worker has taken: they count in the byte budget too. */
  private countHeld(bytes: number): void {
    if (bytes !== this.heldCounted) this.opts.storeService.countSentAhead?.(bytes - this.heldCounted);
    this.heldCounted = bytes;
  }

  /** A message is complete: nothing more is read until it is answered. */
  private messageDone(): void {
    if (this.outstanding > 0) this.reader.hold();
  }

  /** What the peer sent broke the protocol (or, for anything else thrown, our code did). */
  private onReadError(err: unknown): void {
    if (err instanceof PduError) {
      const why = `protocol error: ${err.message}`;
      if (!this.admitted) this.refused('protocol-error', why);
      this.abort(why, err.abortReason);
    } else if (err instanceof DimseError) this.abort(`DIMSE error: ${err.message}`, AbortReason.InvalidPduParameterValue);
    else {
      this.opts.log.error('association.internal-error', { peer: this.peerAddress, error: String((err as Error)?.stack ?? err) });
      this.abort('internal error', AbortReason.NotSpecified);
    }
  }

  private onPdu(pdu: Exclude<Pdu, PData>): void {
    this.touch();
    switch (pdu.type) {
      case PduType.AssociateRq:
        if (this.state !== 'awaiting-rq') throw new PduError('A-ASSOCIATE-RQ on an established association', AbortReason.UnexpectedPdu);
        return this.onAssociateRq(pdu);
      case PduType.ReleaseRq:
        if (this.state !== 'established') throw new PduError('A-RELEASE-RQ outside an established association', AbortReason.UnexpectedPdu);
        if (this.incoming) throw new PduError('A-RELEASE-RQ in the middle of a message', AbortReason.UnexpectedPdu);
        this.state = 'releasing';
        return this.releaseIfDone();
      case PduType.Abort:
        this.closeReason = `peer aborted (source ${pdu.source}, reason ${pdu.reason})`;
        return this.destroy(this.closeReason);
      default:
        throw new PduError(`unexpected PDU type 0x${pdu.type.toString(16)} for an acceptor`, AbortReason.UnexpectedPdu);
    }
  }

  private onAssociateRq(rq: AssociateRq): void {
    this.callingAeTitle = rq.callingAeTitle;
    this.calledAeTitle = rq.calledAeTitle;
    let outcome = negotiate(rq, this.opts.policy);
    if (outcome.accepted) {
      if (this.draining || !this.opts.admit()) outcome = limitExceeded();
      else this.admitted = true;
    }
    if (!outcome.accepted) {
      this.opts.metrics.associationsRejected.inc({ reason: outcome.reason });
      this.opts.log.info('association.rejected', { peer: this.peerAddress, calling: rq.callingAeTitle, called: rq.calledAeTitle, reason: outcome.reason });
      this.closeReason = `rejected: ${outcome.reason}`;
      this.state = 'closed';
      this.socket.end(encodePdu(outcome.rj));
      this.lingerThenDestroy();
      return;
    }
    this.contexts = outcome.contexts;
    if (rq.userInformation.maxPduLength > 0) this.peerMaxPdvData = rq.userInformation.maxPduLength - 6;
    this.state = 'established';
    this.batches = this.opts.createBatchTracker(this.info);
    this.opts.metrics.associationsAccepted.inc();
    this.opts.metrics.associationsOpen.inc();
    this.socket.write(encodePdu(outcome.ac));
  }

  private onPDataStart(): void {
    if (this.state !== 'established') throw new PduError('P-DATA-TF outside an established association', AbortReason.UnexpectedPdu);
  }

  /** Every PDV, empty or not, is checked once against the message it continues, or opens one. */
  private onPdvStart(pcId: number, isCommand: boolean): void {
    const msg = this.incoming ?? (isCommand ? this.startMessage(pcId) : undefined);
    if (!msg || (!isCommand && !msg.command?.hasDataset)) throw new PduError('dataset fragment without a C-STORE command', AbortReason.UnexpectedPduParameter);
    if (isCommand && msg.command) throw new PduError('command fragment after the command was complete', AbortReason.UnexpectedPduParameter);
    if (msg.pcId !== pcId) throw new PduError('fragments of one message on two presentation contexts', AbortReason.UnexpectedPduParameter);
  }

  /** Data of the PDV onPdvStart checked, so of `incoming`. */
  private onPdvData(isCommand: boolean, data: Uint8Array): void {
    const msg = this.incoming!;
    if (isCommand) {
      msg.commandLength += data.length;
      if (msg.commandLength > MAX_COMMAND_LENGTH) throw new PduError('command set larger than 64 KiB');
      // A copy: the view dies with this chunk (Buffer#slice, unlike Uint8Array's, would be a view).
      msg.commandParts.push(Uint8Array.prototype.slice.call(data));
      return;
    }
    msg.datasetBytes = (msg.datasetBytes ?? 0) + data.length;
    msg.dataset?.write(data);
  }

  private onPdvEnd(isCommand: boolean, isLast: boolean): void {
    this.touch();
    if (!isLast) return;
    const msg = this.incoming!;
    if (isCommand) return this.onCommand(msg, concatBytes(msg.commandParts, msg.commandLength));
    // Last dataset fragment: the message is complete.
    this.incoming = undefined;
    this.bytesReceived += msg.datasetBytes ?? 0;
    this.opts.metrics.bytesReceived.inc(msg.datasetBytes ?? 0);
    msg.dataset?.end();
    this.messageDone();
    this.abortIfDrained();
  }

  private startMessage(pcId: number): IncomingMessage {
    if (!this.contexts.has(pcId)) throw new PduError(`presentation context ${pcId} was not accepted`, AbortReason.InvalidPduParameterValue);
    this.incoming = { pcId, commandParts: [], commandLength: 0 };
    return this.incoming;
  }

  // ------------------------------------------------------------- DIMSE

  private onCommand(msg: IncomingMessage, bytes: Uint8Array): void {
    const command = decodeCommand(bytes);
    msg.command = command;
    msg.commandParts = [];
    const context = this.contexts.get(msg.pcId)!;
    if (command.commandField === CommandField.CEchoRq) {
      if (command.hasDataset) throw new DimseError('C-ECHO-RQ with a dataset');
      this.incoming = undefined;
      this.respond(msg.pcId, echoResponse(command));
      return this.abortIfDrained();
    }
    if (command.commandField === CommandField.CCancelRq) {
      // No operation of ours can be cancelled, and a C-CANCEL has no response (PS3.7 9.3.2.3).
      if (command.hasDataset) throw new DimseError('C-CANCEL-RQ with a dataset');
      this.incoming = undefined;
      return this.abortIfDrained();
    }
    // A response has no response, and we asked nothing.
    if (command.commandField & 0x8000) throw new DimseError(`a response (0x${command.commandField.toString(16)}) where a request was expected`);
    if (this.draining && command.commandField === CommandField.CStoreRq) {
      // Sent before our last answer, by a peer that did not wait for it: not started while we stop.
      this.answerWithoutStoring(msg, command, 0xa700, 'service shutting down; retry');
      return;
    }
    if (command.commandField !== CommandField.CStoreRq || context.abstractSyntax === VERIFICATION_SOP_CLASS) {
      // Only C-STORE and C-ECHO are offered; answer anything else with "unrecognized operation".
      this.answerWithoutStoring(msg, command, 0x0211, 'only C-STORE and C-ECHO are supported');
      return;
    }
    if (!command.hasDataset) throw new DimseError('C-STORE-RQ without a dataset');
    if (command.affectedSopClassUid !== context.abstractSyntax) {
      this.answerWithoutStoring(msg, command, 0x0122, 'SOP class differs from the presentation context');
      return;
    }
    this.beginStore(msg, command, context);
  }

  /** Answers after the dataset (if any) has been read and dropped. */
  private answerWithoutStoring(msg: IncomingMessage, command: Command, status: number, comment: string): void {
    const result: StoreResult = { status: status as 0x0110, comment };
    const respondNow = !command.hasDataset;
    if (respondNow) this.incoming = undefined;
    this.track(
      msg.pcId,
      command,
      Promise.resolve(result),
      respondNow ? undefined : new Promise<void>((resolve) => (msg.dataset = discardingDataset(resolve))),
    );
    if (respondNow) this.messageDone();
  }

  private beginStore(msg: IncomingMessage, command: Command, context: AcceptedContext): void {
    const batches = this.batches!;
    const batch = batches.assign();
    const dataset = this.opts.storeService.begin(
      {
        association: this.info,
        batch,
        affectedSopClassUid: command.affectedSopClassUid ?? '',
        affectedSopInstanceUid: command.affectedSopInstanceUid ?? '',
        transferSyntaxUid: context.transferSyntax,
      },
      this,
    );
    msg.dataset = dataset;
    msg.datasetBytes = 0;
    const startedAt = performance.now();
    const outcome = dataset.result.then(async (stored) => {
      const result = await batches.settle(batch, stored);
      if (result.status === 0x0000) this.instancesStored++;
      this.opts.metrics.cstoreLatency.observe((performance.now() - startedAt) / 1000);
      return result;
    });
    this.track(msg.pcId, command, outcome);
  }

  /** Counts an operation as outstanding until its response is sent. */
  private track(pcId: number, command: Command, outcome: Promise<StoreResult>, datasetDone?: Promise<void>): void {
    this.outstanding++;
    Promise.all([outcome, datasetDone])
      .then(
        ([result]) => result,
        (err): StoreResult => {
          this.opts.log.error('cstore.internal-error', { peer: this.peerAddress, error: String((err as Error)?.stack ?? err) });
          return { status: 0x0110, comment: 'internal error' };
        },
      )
      .then((result) => {
        this.outstanding--;
        this.touch();
        if (this.outstanding === 0) for (const w of this.idleWaiters.splice(0)) w();
        if ('aborted' in result && result.aborted) return this.releaseIfDone();
        this.statusCounts.set(result.status, (this.statusCounts.get(result.status) ?? 0) + 1);
        this.opts.metrics.cstores.inc({ status: statusLabel(result.status) });
        // The sender keeps a refused image; the log says which one and why, for whoever resends it.
        if (result.status !== 0x0000) {
          this.opts.log.warn('cstore.failed', {
            peer: this.peerAddress,
            calling: this.callingAeTitle,
            sopInstanceUid: command.affectedSopInstanceUid,
            sopClassUid: command.affectedSopClassUid,
            status: statusLabel(result.status),
            comment: result.comment,
            ...(result.detail ? { detail: result.detail } : {}),
          });
        }
        if (this.state === 'established' || this.state === 'releasing') {
          this.respond(
            pcId,
            encodeCommand({
              // The response to whatever was asked (C-STORE-RSP, or C-FIND-RSP… for an unsupported request).
              commandField: command.commandField | 0x8000,
              messageIdBeingRespondedTo: command.messageId ?? 0,
              affectedSopClassUid: command.affectedSopClassUid ?? '',
              affectedSopInstanceUid: command.affectedSopInstanceUid ?? '',
              hasDataset: false,
              status: result.status,
              ...(result.status !== 0x0000 && 'comment' in result ? { errorComment: result.comment } : {}),
            }),
          );
        }
        // What the peer sent meanwhile first: an A-RELEASE-RQ waiting there is a release, not a drain abort.
        if (this.outstanding === 0) this.readHeldBytes();
        this.releaseIfDone();
        this.abortIfDrained();
      });
  }

  /** One write (corked) of the command in PDVs the peer can take: one PDU unless its maximum is tiny. */
  private respond(pcId: number, command: Uint8Array): void {
    if (this.state === 'closed') return;
    this.socket.cork();
    for (const frame of pdvFrames(pcId, true, [command], command.length, this.peerMaxPdvData)) this.socket.write(frame);
    this.socket.uncork();
  }

  // ------------------------------------------------------------- ending

  private releaseIfDone(): void {
    if (this.state !== 'releasing' || this.outstanding > 0) return;
    this.closeReason = 'released';
    this.state = 'closed';
    this.socket.end(encodePdu({ type: PduType.ReleaseRp }));
    this.lingerThenDestroy();
  }

  private abortIfDrained(): void {
    if (this.draining && this.state === 'established' && !this.busy) this.abort('draining: service is shutting down', AbortReason.NotSpecified);
  }

  /**
   * A peer that never got associated (a wrong port, protocol or TLS setting on its side): counted,
   * and logged, since no association summary line will say why it was closed.
   */
  private refused(metricReason: string, why: string): void {
    this.opts.metrics.associationsRejected.inc({ reason: metricReason });
    this.opts.log.info('connection.refused', { peer: this.peerAddress, end: why });
  }

  /** A-ABORT (service provider) and close at once. */
  abort(reason: string, abortReason: number): void {
    if (this.state === 'closed') return;
    this.closeReason = reason;
    this.state = 'closed';
    this.socket.end(encodePdu({ type: PduType.Abort, source: AbortSource.ServiceProvider, reason: abortReason }));
    this.lingerThenDestroy();
  }

  /** Closes without a PDU (peer abort, pre-association drain, eviction). */
  destroy(reason: string): void {
    if (!this.closeReason) this.closeReason = reason;
    this.state = 'closed';
    this.socket.destroy();
  }

  /** Gives the peer a moment to read our last PDU, never more. */
  private lingerThenDestroy(): void {
    setTimeout(() => this.socket.destroy(), ABORT_LINGER_MS).unref();
  }

  private finished = false;
  private finish(reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.state = 'closed';
    if (!this.closeReason) this.closeReason = reason;
    clearTimeout(this.timer);
    for (const reason of [...this.pausedFor]) this.resume(reason);
    // The socket reads no more: a staging buffer lent to it is the dataset's again.
    this.readingInto?.readDone?.();
    this.readingInto = undefined;
    this.incoming?.dataset?.abort(this.closeReason);
    this.incoming = undefined;
    this.countHeld(0);
    if (this.admitted) {
      this.opts.metrics.associationsOpen.dec();
      this.opts.release();
    }
    const batches = this.batches;
    void (async () => {
      // Every store still running settles first, so the manifest lists all it stored.
      if (this.outstanding > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
      if (batches) await batches.closeAll(closeKind(this.closeReason));
      if (this.admitted) {
        this.opts.log.info('association', {
          peer: this.peerAddress,
          calling: this.callingAeTitle,
          called: this.calledAeTitle,
          durationMs: Date.now() - this.openedAt,
          instances: this.instancesStored,
          bytes: this.bytesReceived,
          statuses: Object.fromEntries([...this.statusCounts].map(([s, n]) => [statusLabel(s), n])),
          end: this.closeReason,
        });
      }
      this.opts.onClose(this);
      this.resolveClosed();
    })();
  }
}

/**
 * Between messages, while the storage side is backlogged, a read takes little more than the next
 * command (a C-STORE-RQ is about 200 bytes): a dataset held by the read gate stays in the socket,
 * not in our memory.
 */
const COMMAND_READ_BYTES = 1024;

/** A read target that takes at most `bytes`: a view of the lent stage, or a byte count for the shared buffer. */
function capped(target: Uint8Array | undefined, bytes: number): Uint8Array | number {
  if (!target) return bytes;
  return target.length > bytes ? target.subarray(0, bytes) : target;
}

function discardingDataset(onEnd: () => void): IncomingDataset {
  return { write() {}, end: onEnd, abort: onEnd, result: Promise.resolve({ status: 0x0110, comment: 'discarded' }) };
}

export function statusLabel(status: number): string {
  return `0x${status.toString(16).padStart(4, '0')}`;
}

function closeKind(reason: string): string {
  if (reason === 'released') return 'release';
  if (reason.startsWith('draining')) return 'drain';
  if (reason.includes('timeout')) return 'timeout';
  if (reason.includes('abort')) return 'abort';
  return 'error';
}
