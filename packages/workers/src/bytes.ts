/**
 * Joins byte chunks into one array (runtime-agnostic: used by the k6 bundle too). A single part
 * of the right length is returned as it is, not copied: it may be a view into a larger buffer.
 */
export function concatBytes(parts: readonly Uint8Array[], length = parts.reduce((n, p) => n + p.length, 0)): Uint8Array {
  if (parts.length === 1 && parts[0]!.length === length) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The distinct ArrayBuffers under `parts` (several views may share one; a buffer is transferred once). */
export function buffersOf(parts: readonly Uint8Array[]): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = [];
  for (const part of parts) if (!buffers.includes(part.buffer as ArrayBuffer)) buffers.push(part.buffer as ArrayBuffer);
  return buffers;
}
