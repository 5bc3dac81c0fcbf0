/**
 * Incremental PDU reader for the receiving side. P-DATA-TF is parsed as it arrives: PDV data is
 * handed on as zero-copy slices of the socket's chunks, so no PDU is ever assembled whole and
 * memory per association stays at a few bytes of header state. Other PDUs are small and are
 * buffered (up to `maxControlPduLength`) and decoded whole.
 */
import { concatBytes } from '@storescp/workers/bytes';
import { dataView } from './bytes.ts';
import { decodePdu } from './codec.ts';
import { AbortReason, type PData, type Pdu, PduError, PduType } from './types.ts';

export interface PduReaderHandlers {
  onPdu(pdu: Exclude<Pdu, PData>): void;
  /** A P-DATA-TF PDU begins (the association checks its state here). */
  onPDataStart(length: number): void;
  /** A PDV's header was read; its data (none, if it is empty) and its end follow. */
  onPdvStart?(presentationContextId: number, isCommand: boolean, isLast: boolean): void;
  /** Part of one PDV's data: a view into the received chunk, valid until the handler returns unless copied or retained. */
  onPdvData(presentationContextId: number, isCommand: boolean, data: Uint8Array): void;
  onPdvEnd(presentationContextId: number, isCommand: boolean, isLast: boolean): void;
}

export class PduReader {
  /** Largest P-DATA-TF accepted: what we advertised in A-ASSOCIATE-AC. */
  maxPDataLength: number;
  private readonly header = new Uint8Array(6);
  private headerFill = 0;
  private type = 0;
  private remaining = 0; // body bytes of the current PDU not yet consumed
  // non-P-DATA body
  private body: Uint8Array | undefined;
  private bodyFill = 0;
  // P-DATA: current PDV
  private readonly pdvHeader = new Uint8Array(6);
  private pdvHeaderFill = 0;
  private pdvRemaining = 0;
  private pcId = 0;
  private control = 0;
  // hold(): the bytes that arrived after the handler asked to stop, kept (one copy) until release()
  private holding = false;
  private held: Uint8Array | undefined;

  constructor(
    private readonly handlers: PduReaderHandlers,
    private readonly maxControlPduLength: number,
    maxPDataLength: number,
  ) {
    this.maxPDataLength = maxPDataLength;
  }

  /** True between PDUs: nothing partial is held. */
  get idle(): boolean {
    return this.headerFill === 0 && this.remaining === 0;
  }

  /** How many bytes arrived during a hold() and wait for release(). */
  get heldBytes(): number {
    return this.held?.length ?? 0;
  }

  /** Bytes of the current PDU not yet read (0 between PDUs). */
  get pduRemaining(): number {
    return this.remaining;
  }

  /**
   * Stops handing anything on after the current handler returns but an A-ABORT; later bytes
   * (those of the chunk being read, and any pushed) are kept, copied, until release().
   */
  hold(): void {
    this.holding = true;
  }

  /** Reads what hold() kept; a hold on the way keeps the rest again. */
  release(): void {
    const held = this.held;
    this.holding = false;
    this.held = undefined;
    // Our own copy: what a new hold keeps of it is a view, not another copy.
    if (held) this.read(held, true);
  }

  push(chunk: Uint8Array): void {
    this.read(chunk, false);
  }

  private read(chunk: Uint8Array, owned: boolean): void {
    let p = 0;
    while (p < chunk.length) {
      if (this.holding && !this.abortNext(chunk[p]!)) {
        // A copy unless ours: the chunk may be a view into a read buffer the socket reuses.
        const rest = owned ? chunk.subarray(p) : Uint8Array.prototype.slice.call(chunk, p);
        this.held = this.held ? concatBytes([this.held, rest]) : rest;
        return;
      }
      if (this.remaining === 0 && this.headerFill < 6) {
        const n = Math.min(6 - this.headerFill, chunk.length - p);
        this.header.set(chunk.subarray(p, p + n), this.headerFill);
        this.headerFill += n;
        p += n;
        if (this.headerFill === 6) this.startPdu();
        continue;
      }
      p = this.type === PduType.PData ? this.readPData(chunk, p) : this.readBody(chunk, p);
    }
  }

  /**
   * An A-ABORT is read even during a hold: the peer gave up on what it waited for (its own DIMSE
   * timeout, say), and its slot should not wait for our answer. Only at the PDU boundary where
   * the hold began: bytes already kept come first.
   */
  private abortNext(byte: number): boolean {
    if (this.held) return false;
    if (this.remaining > 0) return this.type === PduType.Abort;
    return (this.headerFill === 0 ? byte : this.header[0]) === PduType.Abort;
  }

  private startPdu(): void {
    this.type = this.header[0]!;
    const length = dataView(this.header).getUint32(2, false);
    if (this.type < PduType.AssociateRq || this.type > PduType.Abort) {
      throw new PduError(`unrecognized PDU type 0x${this.type.toString(16)}`, AbortReason.UnrecognizedPdu);
    }
    if (this.type === PduType.PData) {
      if (length > this.maxPDataLength) throw new PduError(`P-DATA-TF of ${length} bytes exceeds the negotiated maximum ${this.maxPDataLength}`);
      if (length < 6) throw new PduError('P-DATA-TF without a PDV');
      this.handlers.onPDataStart(length);
    } else {
      if (length > this.maxControlPduLength) throw new PduError(`PDU type 0x${this.type.toString(16)} of ${length} bytes exceeds ${this.maxControlPduLength}`);
      this.body = new Uint8Array(length);
      this.bodyFill = 0;
    }
    this.remaining = length;
    if (length === 0) this.finishBody();
  }

  private readBody(chunk: Uint8Array, p: number): number {
    const n = Math.min(this.remaining, chunk.length - p);
    this.body!.set(chunk.subarray(p, p + n), this.bodyFill);
    this.bodyFill += n;
    this.remaining -= n;
    if (this.remaining === 0) this.finishBody();
    return p + n;
  }

  private finishBody(): void {
    const body = this.body!;
    this.body = undefined;
    this.headerFill = 0;
    this.handlers.onPdu(decodePdu(this.type, body) as Exclude<Pdu, PData>);
  }

  private readPData(chunk: Uint8Array, p: number): number {
    if (this.pdvRemaining === 0) {
      const n = Math.min(6 - this.pdvHeaderFill, chunk.length - p, this.remaining);
      this.pdvHeader.set(chunk.subarray(p, p + n), this.pdvHeaderFill);
      this.pdvHeaderFill += n;
      this.remaining -= n;
      if (this.pdvHeaderFill < 6) {
        if (this.remaining === 0) throw new PduError('PDV header runs past its P-DATA-TF');
        return p + n;
      }
      const itemLength = dataView(this.pdvHeader).getUint32(0, false);
      if (itemLength < 2 || itemLength - 2 > this.remaining) throw new PduError(`PDV length ${itemLength} disagrees with its PDU`);
      this.pcId = this.pdvHeader[4]!;
      this.control = this.pdvHeader[5]!;
      this.pdvHeaderFill = 0;
      this.pdvRemaining = itemLength - 2;
      this.handlers.onPdvStart?.(this.pcId, (this.control & 1) === 1, (this.control & 2) === 2);
      if (this.pdvRemaining === 0) this.endPdv();
      return p + n;
    }
    const n = Math.min(this.pdvRemaining, chunk.length - p);
    const isCommand = (this.control & 1) === 1;
    this.pdvRemaining -= n;
    this.remaining -= n;
    this.handlers.onPdvData(this.pcId, isCommand, chunk.subarray(p, p + n));
    if (this.pdvRemaining === 0) this.endPdv();
    return p + n;
  }

  private endPdv(): void {
    // pdvRemaining is 0 here, so endPdv's caller returns to the PDV-header branch next.
    if (this.remaining === 0) this.headerFill = 0;
    this.handlers.onPdvEnd(this.pcId, (this.control & 1) === 1, (this.control & 2) === 2);
  }
}
