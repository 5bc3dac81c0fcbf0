/**
 * Byte helpers on plain Uint8Array/DataView, so the codec runs unchanged in Node, in worker
 * threads and in k6 (which has no Buffer and no TextEncoder). DICOM protocol strings are ASCII.
 */

export function asciiBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0x7f;
  return out;
}

export function asciiString(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** UIDs are padded to even length with NUL; AE titles and texts with spaces. */
export function trimPadding(s: string): string {
  return s.replace(/[\0 ]+$/, '').replace(/^ +/, '');
}

/** Growable writer: callers append fields, then take the bytes. */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.length++] = v;
    return this;
  }
  u16be(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.length, v, false);
    this.length += 2;
    return this;
  }
  u32be(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.length, v, false);
    this.length += 4;
    return this;
  }
  u16le(v: number): this {
    this.ensure(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
    return this;
  }
  u32le(v: number): this {
    this.ensure(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.length, this.length + n);
    this.length += n;
    return this;
  }
  /** Writes a value padded with `pad` to exactly `width` bytes (AE titles: 16, spaces). */
  fixedAscii(s: string, width: number, pad = 0x20): this {
    const b = asciiBytes(s.slice(0, width));
    this.bytes(b);
    this.ensure(width - b.length);
    this.buf.fill(pad, this.length, this.length + width - b.length);
    this.length += width - b.length;
    return this;
  }
  /** Patches a big-endian length placeholder written earlier. */
  setU32be(at: number, v: number): void {
    this.view.setUint32(at, v, false);
  }
  setU16be(at: number, v: number): void {
    this.view.setUint16(at, v, false);
  }
  setU32le(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }
  finish(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

export function dataView(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}
