/**
 * StartImportJob leaves retrying to the state machine (backoff with jitter, no sleeping in the
 * Lambda), whose Retry matches on these error names. An SDK error is renamed to one of them when
 * the service or the network says "try again later"; anything else keeps its own name and fails.
 */
export const RETRIED_ERROR_NAMES = ['ThrottlingException', 'ServiceQuotaExceededException', 'InternalServerException'] as const;

export type RetriedErrorName = (typeof RETRIED_ERROR_NAMES)[number];

const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

export function retriedErrorName(err: unknown): RetriedErrorName | undefined {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const status = e?.$metadata?.httpStatusCode;
  if (e?.name === 'ThrottlingException' || status === 429) return 'ThrottlingException';
  if (e?.name === 'ServiceQuotaExceededException' || status === 402) return 'ServiceQuotaExceededException';
  if (e?.name === 'InternalServerException' || (status !== undefined && status >= 500)) return 'InternalServerException';
  // No answer at all: safe to retry, since the start is idempotent through its clientToken.
  if (e?.name === 'TimeoutError' || (e?.code !== undefined && TRANSIENT_NETWORK_CODES.has(e.code))) return 'InternalServerException';
  return undefined;
}

/** The error to throw from the Lambda: renamed when the state machine should retry it. */
export function asStateMachineError(err: unknown): unknown {
  const name = retriedErrorName(err);
  if (name === undefined) return err;
  const renamed = new Error(err instanceof Error ? err.message : String(err), { cause: err });
  renamed.name = name;
  return renamed;
}
