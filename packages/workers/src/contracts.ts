/**
 * Contracts between the SCP main thread (scp-core), the pool tasks (workers) and the sinks.
 * Everything crossing a thread or package boundary is typed here.
 */

/** Where objects go: "file:///abs/dir" or "s3://bucket/prefix" plus S3 client options. Serializable (crosses to workers). */
export interface SinkConfig {
  url: string;
  s3?: {
    region?: string;
    /** S3-compatible endpoint (s3rver, MinIO); path-style addressing is used when set. */
    endpoint?: string;
    forcePathStyle?: boolean;
    /** Multipart part size in bytes (>= 5 MiB). */
    partSize?: number;
    /** Parts uploaded at once per object. */
    queueSize?: number;
    maxAttempts?: number;
  };
}

/** Who sent it: recorded in the meta header and the batch records. */
export interface AssociationInfo {
  callingAeTitle: string;
  calledAeTitle: string;
  peerAddress: string;
}

/** The batch an instance belongs to (chosen by the main thread before the task runs). */
export interface BatchRef {
  batchId: string;
  timestamp: number;
}

/** One C-STORE handed to the pool. The dataset either came whole (`data`) or streams through `port`. */
export interface StoreTask {
  association: AssociationInfo;
  batch: BatchRef;
  affectedSopClassUid: string;
  affectedSopInstanceUid: string;
  transferSyntaxUid: string;
  /**
   * The dataset's bytes received so far, in order (all of them when `port` is absent): views of
   * staging ArrayBuffers, several views to a buffer where the socket was read straight into it
   * (the PDU headers between them are left out). The buffers are transferred here and returned
   * with the outcome.
   */
  data: Uint8Array[];
  /** Remaining chunks arrive as StreamMessage; the worker acks consumed bytes on the same port. */
  port?: import('node:worker_threads').MessagePort;
}

/**
 * Main thread -> worker on a StoreTask port. A chunk is the dataset's next bytes as views of one
 * staging buffer, which goes back with its ack.
 */
export type StreamMessage =
  | { type: 'chunk'; parts: Uint8Array[] }
  | { type: 'end' }
  | { type: 'abort'; reason: string };

/** Worker -> main thread on a StoreTask port, one per chunk: done with it (`bytes` in its parts), here is its staging buffer. */
export interface StreamAck {
  type: 'ack';
  bytes: number;
  stage: ArrayBuffer;
}

/** What a store task returns: its result, and the staging buffers that came with the task. */
export interface StoreOutcome {
  result: StoreResult;
  /** Seconds the sink took (for the storage latency metric); absent when nothing was written. */
  storageSeconds?: number;
  stages: ArrayBuffer[];
}

/** DIMSE statuses the store path produces (PS3.4 B.2.3, PS3.7 C). */
export const Status = {
  Success: 0x0000,
  OutOfResources: 0xa700,
  DataSetDoesNotMatchSopClass: 0xa900,
  CannotUnderstand: 0xc000,
  ProcessingFailure: 0x0110,
} as const;
export type StoreStatus = (typeof Status)[keyof typeof Status];

export type StoreResult =
  | {
      status: typeof Status.Success;
      key: string;
      /** "YYYY/MM/DD" of the key: the batch rewrites its open marker before acking a new one. */
      datePath: string;
      studyInstanceUid: string;
      seriesInstanceUid: string;
      sopInstanceUid: string;
      sopClassUid: string;
      studyDate: string;
      size: number;
    }
  | {
      status: Exclude<StoreStatus, typeof Status.Success>;
      /** Short text for the C-STORE-RSP Error Comment (0000,0902), max 64 chars. */
      comment: string;
      /** Longer detail for logs. */
      detail?: string;
      /** true when the stream was aborted by the peer: nothing to answer. */
      aborted?: boolean;
    };
