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
 * Sequences and items open at once (two per level of nesting, beside the dataset itself). Real
 * datasets nest a few levels (deep SR trees a few dozen); without a bound, a flood of 12-byte
 * sequence headers would grow the stack without limit.
 */
const MAX_DEPTH = 256;
/** VRs whose explicit header has a 2-byte length (PS3.5 Table 7.1-2); every other one, future VRs included, has 2 reserved bytes and a 4-byte length. */
const SHORT_VRS = new Set(['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI', 'UL', 'US']);

/**
 * Whether an explicit VR element's header carries a 4-byte length. Two bytes that are no VR at
 * all (lowercase, spaces, zeros of padding) get the 2-byte form, as dcmtk reads them. The header
 * reader's dicom-parser is patched to the same rule (patches/dicom-parser@1.8.21.patch).
 */
export const hasLongLength = (vr: string): boolean => !SHORT_VRS.has(vr) && /^[A-Z]{2}$/.test(vr);

/** A dataset (the whole one, or an undefined-length item's), or the items of an undefined-length element. */
interface Frame {
  items: boolean;
  /** The encoding of this dataset, or of the datasets in these items. */
  implicit: boolean;
  little: boolean;
}

export class DatasetStructure {
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
    this.encapsulated = !NATIVE_TRANSFER_SYNTAXES.has(transferSyntaxUid);
    this.stack = [
      { items: false, implicit: transferSyntaxUid === TransferSyntax.ImplicitVRLittleEndian, little: transferSyntaxUid !== TransferSyntax.ExplicitVRBigEndian },
    ];
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
    if (this.stack.length > 1) this.fail('cut short: a sequence or item of undefined length is not closed');
    // Zeros padding the dataset out to a block size, as some writers leave, are not an element. Two
    // or more: group 0000 never starts a dataset element, so they cannot be a cut header.
    if (this.fill === 1 || this.header.subarray(0, this.fill).some((b) => b !== 0)) this.fail(`${this.fill} bytes after the last element, at byte ${this.elementAt}`);
  }

  private element(): void {
    const frame = this.stack[this.stack.length - 1]!;
    const tag = ((this.u16(0, frame) << 16) | this.u16(2, frame)) >>> 0;
    if (frame.items) {
      if (tag === ITEM) this.value(this.u32(4, frame), { items: false, implicit: frame.implicit, little: frame.little });
      else if (tag === SEQUENCE_DELIMITER) this.close();
      else this.fail(`expected an item or a sequence delimiter, found ${tagText(tag)}`);
      return;
    }
    if (tag === ITEM_DELIMITER) {
      // One outside any item is read past, as dcmtk does: it delimits nothing.
      return this.stack.length === 1 ? this.value(0, frame) : this.close();
    }
    if (tag === ITEM || tag === SEQUENCE_DELIMITER) this.fail(`${tagText(tag)} outside a sequence, at byte ${this.elementAt}`);
    let length: number;
    let vr = '';
    if (frame.implicit) length = this.u32(4, frame);
    else if (this.need === 8) {
      vr = String.fromCharCode(this.header[4]!, this.header[5]!);
      if (hasLongLength(vr)) {
        this.need = 12;
        return;
      }
      length = this.u16(6, frame);
    } else {
      vr = String.fromCharCode(this.header[4]!, this.header[5]!);
      length = this.u32(8, frame);
    }
    if (tag === PIXEL_DATA && this.encapsulated && this.stack.length === 1 && length !== UNDEFINED_LENGTH) {
      this.fail('Pixel Data of defined length on a compressed transfer syntax');
    }
    // The items of an undefined-length UN are implicit VR little endian, whatever the dataset's syntax (PS3.5 6.2.2).
    this.value(length, vr === 'UN' ? { items: true, implicit: true, little: true } : { items: true, implicit: frame.implicit, little: frame.little });
  }

  /** After a header: skip a defined-length value, or walk an undefined-length one's contents. */
  private value(length: number, contents: Frame): void {
    this.fill = 0;
    this.need = 8;
    if (length !== UNDEFINED_LENGTH) this.skip = length;
    else if (this.stack.length > MAX_DEPTH) this.fail(`sequences and items nested deeper than ${MAX_DEPTH / 2} levels, at byte ${this.elementAt}`);
    else this.stack.push(contents);
  }

  private close(): void {
    this.fill = 0;
    this.need = 8;
    this.stack.pop();
  }

  private u16(at: number, frame: Frame): number {
    return this.view.getUint16(at, frame.little);
  }

  private u32(at: number, frame: Frame): number {
    return this.view.getUint32(at, frame.little);
  }

  private fail(why: string): never {
    throw new DatasetMalformed(why);
  }
}

const tagText = (tag: number) => `(${(tag >>> 16).toString(16).padStart(4, '0')},${(tag & 0xffff).toString(16).padStart(4, '0')})`.toUpperCase();
