/**
 * How the main thread reads its sockets. By default Node allocates a fresh 64 KiB buffer for
 * every read and emits it through the Readable stream machinery: at 1 GB/s that is 16,000
 * allocations a second of external memory, which drive V8's garbage collector (a fifth of the
 * process's CPU in the 16-association profile) and fresh-page zeroing in the kernel.
 *
 * Node's `onread` option instead reads into one buffer we own and calls us with the byte count.
 * `net.Server` has no such option for the sockets it accepts, so it is set on the accepted
 * socket before its first read (the listener pauses on connect) through the same socket fields
 * `new net.Socket({ onread })` fills in. One buffer serves every socket: a read callback runs to
 * its end before libuv reads the next socket, and the PDU reader copies what it keeps.
 *
 * A caller may also name, after every read, where the next one lands: memory it owns, such as
 * the staging buffer a dataset is being gathered in, so that its bytes arrive without a copy
 * (Node's `onread.buffer` given as a function; the field is `kBufferGen`).
 *
 * TLS sockets, and any Node whose sockets lack those fields, read through 'data' as before.
 */
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

/**
 * One buffer for the whole process. 1 MiB: a socket that has fallen behind (hundreds of
 * associations) is emptied in fewer reads; measured at 300 associations +15 % over 256 KiB,
 * while 4 MiB was no better than 256 KiB (it no longer stays in cache).
 */
const READ_BUFFER_BYTES = 1024 * 1024;
let shared: Buffer | undefined;

type OnreadFields = { buffer: symbol; callback: symbol; generator: symbol };
let fields: OnreadFields | null | undefined;

/** The socket's private `onread` fields, found once by their symbol descriptions. */
function onreadFields(socket: Socket): OnreadFields | null {
  if (fields !== undefined) return fields;
  const symbols = Object.getOwnPropertySymbols(socket);
  const buffer = symbols.find((s) => s.description === 'kBuffer');
  const callback = symbols.find((s) => s.description === 'kBufferCb');
  const generator = symbols.find((s) => s.description === 'kBufferGen');
  fields = buffer && callback && generator ? { buffer, callback, generator } : null;
  return fields;
}

interface UserBufferHandle {
  useUserBuffer?(buffer: Uint8Array): void;
  reading?: boolean;
}

/**
 * Calls `onChunk` with every chunk read from `socket`. The chunk is valid only during the call
 * (copy what must outlive it) unless it is in memory `nextTarget` gave.
 *
 * `nextTarget` is asked after each read (after `onChunk` returns) where the next read lands:
 * a region the caller owns, which must stay untouched by anyone else until `nextTarget` is
 * asked again or the socket has closed; undefined for the shared buffer; or a byte count, to
 * read at most that many into the shared buffer (the rest stays in the kernel's socket buffer).
 * It is never asked on the 'data' fallback.
 *
 * Must be called before the socket is first resumed. Returns true when reads land in the
 * shared buffer or the caller's targets, false when they fall back to 'data'.
 */
export function readSocket(socket: Socket, onChunk: (chunk: Uint8Array) => void, nextTarget?: () => Uint8Array | number | undefined): boolean {
  const handle = (socket as unknown as { _handle?: UserBufferHandle })._handle;
  const f = socket instanceof TLSSocket ? null : onreadFields(socket);
  if (!f || typeof handle?.useUserBuffer !== 'function' || handle.reading) {
    socket.on('data', onChunk);
    return false;
  }
  shared ??= Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
  const target = socket as unknown as Record<symbol, unknown>;
  target[f.buffer] = shared;
  // Returning nothing (not false) keeps the socket reading; pause() stops it as usual.
  target[f.callback] = (nread: number, buffer: Uint8Array) => {
    onChunk(buffer.subarray(0, nread));
  };
  if (nextTarget) target[f.generator] = () => landing(nextTarget());
  handle.useUserBuffer(shared);
  return true;
}

/** The last capped view of the shared buffer: callers ask for one size again and again. */
let head: Buffer | undefined;

function landing(target: Uint8Array | number | undefined): Uint8Array {
  if (target === undefined) return shared!;
  if (typeof target !== 'number') return target;
  target = Math.min(target, shared!.length);
  if (head?.length !== target) head = shared!.subarray(0, target);
  return head;
}
