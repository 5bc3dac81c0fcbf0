/**
 * DIMSE command sets (PS3.7 section 9.3, 10.3): group 0000 in Implicit VR Little Endian.
 * Runtime-agnostic like the PDU codec. Only the fields the store/verification services use
 * are named; others are skipped on decode.
 */
import { ByteWriter, asciiString, dataView, trimPadding } from '../pdu/bytes.ts';

export const CommandField = {
  CStoreRq: 0x0001,
  CStoreRsp: 0x8001,
  CGetRq: 0x0010,
  CFindRq: 0x0020,
  CMoveRq: 0x0021,
  CEchoRq: 0x0030,
  CEchoRsp: 0x8030,
  CCancelRq: 0x0fff,
} as const;

/** CommandDataSetType value meaning "no dataset follows". */
export const NO_DATASET = 0x0101;

export interface Command {
  commandField: number;
  messageId?: number;
  messageIdBeingRespondedTo?: number;
  affectedSopClassUid?: string;
  affectedSopInstanceUid?: string;
  priority?: number;
  hasDataset: boolean;
  status?: number;
  errorComment?: string;
  moveOriginatorAeTitle?: string;
  moveOriginatorMessageId?: number;
}

const Tag = {
  GroupLength: 0x0000,
  AffectedSopClassUid: 0x0002,
  CommandField: 0x0100,
  MessageId: 0x0110,
  MessageIdBeingRespondedTo: 0x0120,
  Priority: 0x0700,
  CommandDataSetType: 0x0800,
  Status: 0x0900,
  ErrorComment: 0x0902,
  AffectedSopInstanceUid: 0x1000,
  MoveOriginatorAeTitle: 0x1030,
  MoveOriginatorMessageId: 0x1031,
} as const;

export class DimseError extends Error {
  override name = 'DimseError';
}

// Elements in ascending tag order, as PS3.5 7.1 requires.
function element(w: ByteWriter, tag: number, value: Uint8Array | number, vr: 'US' | 'UL' = 'US'): void {
  w.u16le(0x0000).u16le(tag);
  if (typeof value === 'number') {
    if (vr === 'UL') w.u32le(4).u32le(value);
    else w.u32le(2).u16le(value);
  } else {
    w.u32le(value.length).bytes(value);
  }
}

function padded(s: string, pad: number): Uint8Array {
  const len = s.length + (s.length & 1);
  const b = new Uint8Array(len).fill(pad);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0x7f;
  return b;
}

export function encodeCommand(c: Command): Uint8Array {
  const w = new ByteWriter(192);
  element(w, Tag.GroupLength, 0, 'UL'); // patched below
  if (c.affectedSopClassUid !== undefined) element(w, Tag.AffectedSopClassUid, padded(c.affectedSopClassUid, 0));
  element(w, Tag.CommandField, c.commandField);
  if (c.messageId !== undefined) element(w, Tag.MessageId, c.messageId);
  if (c.messageIdBeingRespondedTo !== undefined) element(w, Tag.MessageIdBeingRespondedTo, c.messageIdBeingRespondedTo);
  if (c.priority !== undefined) element(w, Tag.Priority, c.priority);
  element(w, Tag.CommandDataSetType, c.hasDataset ? 0x0000 : NO_DATASET);
  if (c.status !== undefined) element(w, Tag.Status, c.status);
  if (c.errorComment) element(w, Tag.ErrorComment, padded(c.errorComment.slice(0, 64), 0x20));
  if (c.affectedSopInstanceUid !== undefined) element(w, Tag.AffectedSopInstanceUid, padded(c.affectedSopInstanceUid, 0));
  if (c.moveOriginatorAeTitle !== undefined) element(w, Tag.MoveOriginatorAeTitle, padded(c.moveOriginatorAeTitle, 0x20));
  if (c.moveOriginatorMessageId !== undefined) element(w, Tag.MoveOriginatorMessageId, c.moveOriginatorMessageId);
  w.setU32le(8, w.length - 12);
  return w.finish();
}

export function decodeCommand(b: Uint8Array): Command {
  const v = dataView(b);
  const c: Command = { commandField: -1, hasDataset: false };
  let sawField = false;
  let sawDataSetType = false;
  let p = 0;
  let lastTag = -1;
  while (p < b.length) {
    if (p + 8 > b.length) throw new DimseError('command set truncated inside an element header');
    const group = v.getUint16(p, true);
    const tag = v.getUint16(p + 2, true);
    const len = v.getUint32(p + 4, true);
    const s = p + 8;
    if (group !== 0x0000) throw new DimseError(`command set holds group ${group.toString(16).padStart(4, '0')}`);
    if (len > b.length - s) throw new DimseError(`command element (0000,${tag.toString(16).padStart(4, '0')}) length ${len} runs past the command set`);
    if (tag <= lastTag) throw new DimseError('command set elements out of order');
    lastTag = tag;
    const e = s + len;
    const us = () => {
      if (len !== 2) throw new DimseError(`(0000,${tag.toString(16).padStart(4, '0')}) must be US`);
      return v.getUint16(s, true);
    };
    const str = () => trimPadding(asciiString(b, s, e));
    switch (tag) {
      case Tag.AffectedSopClassUid: c.affectedSopClassUid = str(); break;
      case Tag.CommandField: c.commandField = us(); sawField = true; break;
      case Tag.MessageId: c.messageId = us(); break;
      case Tag.MessageIdBeingRespondedTo: c.messageIdBeingRespondedTo = us(); break;
      case Tag.Priority: c.priority = us(); break;
      case Tag.CommandDataSetType: c.hasDataset = us() !== NO_DATASET; sawDataSetType = true; break;
      case Tag.Status: c.status = us(); break;
      case Tag.ErrorComment: c.errorComment = str(); break;
      case Tag.AffectedSopInstanceUid: c.affectedSopInstanceUid = str(); break;
      case Tag.MoveOriginatorAeTitle: c.moveOriginatorAeTitle = str(); break;
      case Tag.MoveOriginatorMessageId: c.moveOriginatorMessageId = us(); break;
      default: break;
    }
    p = e;
  }
  if (!sawField) throw new DimseError('command set without Command Field (0000,0100)');
  if (!sawDataSetType) throw new DimseError('command set without Command Data Set Type (0000,0800)');
  return c;
}
