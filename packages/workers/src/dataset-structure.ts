/**
 * Checks, as a dataset streams past, that its elements add up (PS3.5 7.1, 7.5, A.4): every
 * element header whole, every value inside the dataset, every undefined-length sequence and item
 * closed by its delimiter, nothing after the last element, and on an encapsulated (compressed)
 * transfer syntax a top-level Pixel Data of undefined length (fragments). Only headers are read;
 * values are skipped, so the cost is per element, not per byte. Sequences and items of defined
 * length are skipped whole: their length is checked against the dataset, their inside is not.
 *
 * Why: the header reader stops at the Study/Series UIDs, and a dataset cut short or with a broken
 * tail would otherwise be acknowledged and then fail at import, after the sender let it go.
 */
import { NATIVE_TRANSFER_SYNTAXES, TransferSyntax } from './transfer-syntaxes.ts';

export class DatasetMalformed extends Error {
  override name = 'DatasetMalformed';
}

const UNDEFINED_LENGTH = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_DELIMITER = 0xfffee00d;
const SEQUENCE_DELIMITER = 0xfffee0dd;
const PIXEL_DATA = 0x7fe00010;
/**
 * Sequences and items open at once. Real datasets nest a few levels (deep SR trees a few dozen);
 * without a bound, a flood of 12-byte sequence headers would grow the stack without limit.
 */
const MAX_DEPTH = 256;
/** VRs whose explicit header has 2 reserved bytes and a 4-byte length (PS3.5 Table 7.1-1). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/** A dataset (the whole one, or an undefined-length item's), or the items of an undefined-length element. */
interface Frame {
  items: boolean;
  /** Implicit VR: the dataset's own encoding, or that of the datasets in these items. */
  implicit: boolean;
}

export class DatasetStructure {
  private readonly little: boolean;
  private readonly encapsulated: boolean;
  private readonly stack: Frame[];
  private readonly header = new Uint8Array(12);
  private readonly view = new DataView(this.header.buffer);
  /** Header bytes collected, and how many this element's header has (8, or 12 once its VR says so). */
  private fill = 0;
  private need = 8;
  /** Value bytes still to pass. */
  private skip = 0;
  private position = 0;
  private elementAt = 0;

  /** For a transfer syntax other than deflated (its bytes are compressed as a whole). */
  constructor(transferSyntaxUid: string) {
    this.little = transferSyntaxUid !== TransferSyntax.ExplicitVRBigEndian;
    this.encapsulated = !NATIVE_TRANSFER_SYNTAXES.has(transferSyntaxUid);
    this.stack = [{ items: false, implicit: transferSyntaxUid === TransferSyntax.ImplicitVRLittleEndian }];
  }

  /** The next bytes of the dataset; throws DatasetMalformed at the first element that cannot be. */
  push(chunk: Uint8Array): void {
    let p = 0;
    while (p < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - p);
        this.skip -= n;
        p += n;
        continue;
      }
      if (this.fill === 0) this.elementAt = this.position + p;
      const n = Math.min(this.need - this.fill, chunk.length - p);
      this.header.set(chunk.subarray(p, p + n), this.fill);
      this.fill += n;
      p += n;
      if (this.fill === this.need) this.element();
    }
    this.position += chunk.length;
  }

  /** The dataset is complete: throws DatasetMalformed if it stopped inside anything. */
  end(): void {
    if (this.skip > 0) this.fail(`cut short: ${this.skip} bytes of the value at byte ${this.elementAt} missing`);
    if (this.fill > 0) this.fail(`${this.fill} bytes after the last element, at byte ${this.elementAt}`);
    if (this.stack.length > 1) this.fail('cut short: a sequence or item of undefined length is not closed');
  }

  private element(): void {
    const frame = this.stack[this.stack.length - 1]!;
    const tag = ((this.u16(0) << 16) | this.u16(2)) >>> 0;
    if (frame.items) {
      if (tag === ITEM) this.value(this.u32(4), { items: false, implicit: frame.implicit });
      else if (tag === SEQUENCE_DELIMITER) this.close();
      else this.fail(`expected an item or a sequence delimiter, found ${tagText(tag)}`);
      return;
    }
    if (tag === ITEM_DELIMITER) {
      if (this.stack.length === 1) this.fail(`an item delimiter outside any item, at byte ${this.elementAt}`);
      return this.close();
    }
    if (tag === ITEM || tag === SEQUENCE_DELIMITER) this.fail(`${tagText(tag)} outside a sequence, at byte ${this.elementAt}`);
    let length: number;
    let vr = '';
    if (frame.implicit) length = this.u32(4);
    else if (this.need === 8) {
      const a = this.header[4]!;
      const b = this.header[5]!;
      if (a < 0x41 || a > 0x5a || b < 0x41 || b > 0x5a) this.fail(`no valid VR for ${tagText(tag)} at byte ${this.elementAt}`);
      vr = String.fromCharCode(a, b);
      if (LONG_VRS.has(vr)) {
        this.need = 12;
        return;
      }
      length = this.u16(6);
    } else {
      vr = String.fromCharCode(this.header[4]!, this.header[5]!);
      length = this.u32(8);
    }
    if (tag === PIXEL_DATA && this.encapsulated && this.stack.length === 1 && length !== UNDEFINED_LENGTH) {
      this.fail('Pixel Data of defined length on a compressed transfer syntax');
    }
    // The items of an undefined-length UN are implicit VR little endian (PS3.5 6.2.2).
    this.value(length, { items: true, implicit: frame.implicit || vr === 'UN' });
  }

  /** After a header: skip a defined-length value, or walk an undefined-length one's contents. */
  private value(length: number, contents: Frame): void {
    this.fill = 0;
    this.need = 8;
    if (length !== UNDEFINED_LENGTH) this.skip = length;
    else if (this.stack.length >= MAX_DEPTH) this.fail(`sequences and items nested deeper than ${MAX_DEPTH / 2} levels, at byte ${this.elementAt}`);
    else this.stack.push(contents);
  }

  private close(): void {
    this.fill = 0;
    this.need = 8;
    this.stack.pop();
  }

  private u16(at: number): number {
    return this.view.getUint16(at, this.little);
  }

  private u32(at: number): number {
    return this.view.getUint32(at, this.little);
  }

  private fail(why: string): never {
    throw new DatasetMalformed(why);
  }
}

const tagText = (tag: number) => `(${(tag >>> 16).toString(16).padStart(4, '0')},${(tag & 0xffff).toString(16).padStart(4, '0')})`.toUpperCase();
