/**
 * What an association needs from the storage side for one C-STORE: a place to stream the
 * dataset fragments to, and the outcome. Implemented over the worker pool in pool/store-pool.ts.
 */
import type { AssociationInfo, BatchRef, StoreResult } from '@storescp/workers/contracts';

export interface StoreRequest {
  association: AssociationInfo;
  batch: BatchRef;
  affectedSopClassUid: string;
  affectedSopInstanceUid: string;
  transferSyntaxUid: string;
}

export interface IncomingDataset {
  /**
   * A fragment of the dataset; the view is only valid during the call (copy to retain), unless
   * it lies in memory this dataset gave as a read target.
   */
  write(chunk: Uint8Array): void;
  /**
   * Where the socket's next read may land, so the fragments in it need no copy: memory this
   * dataset owns and leaves alone until readDone(). Undefined: read into the shared buffer.
   */
  readTarget?(): Uint8Array | undefined;
  /** The socket no longer reads into the last target given (it was asked again, or closed). */
  readDone?(): void;
  /** The last fragment arrived. */
  end(): void;
  /** The association broke before the last fragment: nothing may be stored. */
  abort(reason: string): void;
  readonly result: Promise<StoreResult>;
}

export interface StoreService {
  begin(request: StoreRequest, flow: FlowControl): IncomingDataset;
  /**
   * A new dataset would have to wait before it may be read: an association between messages
   * reads only its next command, leaving the dataset in the socket.
   */
  readonly backlogged?: boolean;
  /**
   * Bytes a peer sent ahead of our answer, which its association keeps until the answer is out:
   * counted with the received bytes no worker has taken yet (negative: given back).
   */
  countSentAhead?(delta: number): void;
}

/**
 * Lets the storage side stop and restart reading one association's socket (backpressure). Each
 * reason pauses on its own; the socket is read again when no reason holds it.
 */
export type PauseReason = 'budget' | 'window' | 'read-gate';
export interface FlowControl {
  pause(reason: PauseReason): void;
  resume(reason: PauseReason): void;
}
