/**
 * Encoding and decoding of whole PDUs (PS3.8 9.3). The SCP decodes association PDUs with
 * `decodePdu` and streams P-DATA through `PduReader` instead; clients (load generator, k6,
 * tests) use both directions here.
 */
import { ByteWriter, asciiString, dataView, trimPadding } from './bytes.ts';
import {
  AbortReason,
  type Abort,
  type AssociateAc,
  type AssociateRj,
  type AssociateRq,
  type PData,
  type Pdu,
  PduError,
  PduType,
  type PresentationContextAc,
  type PresentationContextRq,
  type UserInformation,
} from './types.ts';

const ItemType = {
  ApplicationContext: 0x10,
  PresentationContextRq: 0x20,
  PresentationContextAc: 0x21,
  AbstractSyntax: 0x30,
  TransferSyntax: 0x40,
  UserInformation: 0x50,
  MaxLength: 0x51,
  ImplementationClassUid: 0x52,
  AsyncOpsWindow: 0x53,
  RoleSelection: 0x54,
  ImplementationVersionName: 0x55,
} as const;

// ---------------------------------------------------------------- encoding

function header(w: ByteWriter, type: number): number {
  w.u8(type).u8(0);
  const at = w.length;
  w.u32be(0);
  return at;
}

function item(w: ByteWriter, type: number, body: (w: ByteWriter) => void): void {
  w.u8(type).u8(0);
  const at = w.length;
  w.u16be(0);
  body(w);
  w.setU16be(at, w.length - at - 2);
}

function uidItem(w: ByteWriter, type: number, uid: string): void {
  item(w, type, (w) => w.fixedAscii(uid, uid.length));
}

function userInformation(w: ByteWriter, ui: UserInformation): void {
  item(w, ItemType.UserInformation, (w) => {
    item(w, ItemType.MaxLength, (w) => w.u32be(ui.maxPduLength));
    if (ui.implementationClassUid) uidItem(w, ItemType.ImplementationClassUid, ui.implementationClassUid);
    if (ui.asyncOpsWindow) item(w, ItemType.AsyncOpsWindow, (w) => w.u16be(ui.asyncOpsWindow![0]).u16be(ui.asyncOpsWindow![1]));
    for (const r of ui.roleSelections ?? []) {
      item(w, ItemType.RoleSelection, (w) => {
        w.u16be(r.sopClassUid.length).fixedAscii(r.sopClassUid, r.sopClassUid.length);
        w.u8(r.scu ? 1 : 0).u8(r.scp ? 1 : 0);
      });
    }
    if (ui.implementationVersionName) uidItem(w, ItemType.ImplementationVersionName, ui.implementationVersionName);
  });
}

function associateFixedFields(w: ByteWriter, p: AssociateRq | AssociateAc): void {
  w.u16be(p.protocolVersion).u16be(0);
  w.fixedAscii(p.calledAeTitle, 16).fixedAscii(p.callingAeTitle, 16).zeros(32);
  uidItem(w, ItemType.ApplicationContext, p.applicationContext);
}

export function encodePdu(pdu: Pdu): Uint8Array {
  const w = new ByteWriter(pdu.type === PduType.PData ? 64 + pdu.pdvs.reduce((n, p) => n + p.data.length + 6, 0) : 256);
  const at = header(w, pdu.type);
  switch (pdu.type) {
    case PduType.AssociateRq:
      associateFixedFields(w, pdu);
      for (const pc of pdu.presentationContexts) {
        item(w, ItemType.PresentationContextRq, (w) => {
          w.u8(pc.id).u8(0).u8(0).u8(0);
          uidItem(w, ItemType.AbstractSyntax, pc.abstractSyntax);
          for (const ts of pc.transferSyntaxes) uidItem(w, ItemType.TransferSyntax, ts);
        });
      }
      userInformation(w, pdu.userInformation);
      break;
    case PduType.AssociateAc:
      associateFixedFields(w, pdu);
      for (const pc of pdu.presentationContexts) {
        item(w, ItemType.PresentationContextAc, (w) => {
          w.u8(pc.id).u8(0).u8(pc.result).u8(0);
          uidItem(w, ItemType.TransferSyntax, pc.transferSyntax);
        });
      }
      userInformation(w, pdu.userInformation);
      break;
    case PduType.AssociateRj:
      w.u8(0).u8(pdu.result).u8(pdu.source).u8(pdu.reason);
      break;
    case PduType.PData:
      for (const pdv of pdu.pdvs) {
        w.u32be(pdv.data.length + 2).u8(pdv.presentationContextId);
        w.u8((pdv.isCommand ? 1 : 0) | (pdv.isLast ? 2 : 0)).bytes(pdv.data);
      }
      break;
    case PduType.ReleaseRq:
    case PduType.ReleaseRp:
      w.zeros(4);
      break;
    case PduType.Abort:
      w.u8(0).u8(0).u8(pdu.source).u8(pdu.reason);
      break;
  }
  w.setU32be(at, w.length - 6);
  return w.finish();
}

/** P-DATA-TF header for one PDV of `dataLength` bytes; the caller sends the data after it (no copy). */
export function pdataHeader(presentationContextId: number, isCommand: boolean, isLast: boolean, dataLength: number): Uint8Array {
  const h = new Uint8Array(12);
  const v = dataView(h);
  h[0] = PduType.PData;
  v.setUint32(2, dataLength + 6, false);
  v.setUint32(6, dataLength + 2, false);
  h[10] = presentationContextId;
  h[11] = (isCommand ? 1 : 0) | (isLast ? 2 : 0);
  return h;
}

// ---------------------------------------------------------------- decoding

/** Walks `type(1) reserved(1) length(2) value` items inside [start, end). */
function* items(b: Uint8Array, start: number, end: number): Generator<{ type: number; start: number; end: number }> {
  const v = dataView(b);
  let p = start;
  while (p < end) {
    if (p + 4 > end) throw new PduError('truncated item header');
    const type = b[p]!;
    const len = v.getUint16(p + 2, false);
    const s = p + 4;
    if (s + len > end) throw new PduError(`item 0x${type.toString(16)} length ${len} runs past its container`);
    yield { type, start: s, end: s + len };
    p = s + len;
  }
}

function uid(b: Uint8Array, start: number, end: number): string {
  const s = trimPadding(asciiString(b, start, end));
  if (s.length > 64) throw new PduError(`UID longer than 64 characters`);
  return s;
}

function decodeUserInformation(b: Uint8Array, start: number, end: number): UserInformation {
  const v = dataView(b);
  const ui: UserInformation = { maxPduLength: 0 };
  for (const it of items(b, start, end)) {
    switch (it.type) {
      case ItemType.MaxLength:
        if (it.end - it.start !== 4) throw new PduError('maximum length item must hold 4 bytes');
        ui.maxPduLength = v.getUint32(it.start, false);
        break;
      case ItemType.ImplementationClassUid:
        ui.implementationClassUid = uid(b, it.start, it.end);
        break;
      case ItemType.ImplementationVersionName:
        ui.implementationVersionName = trimPadding(asciiString(b, it.start, Math.min(it.end, it.start + 16)));
        break;
      case ItemType.AsyncOpsWindow:
        if (it.end - it.start === 4) ui.asyncOpsWindow = [v.getUint16(it.start, false), v.getUint16(it.start + 2, false)];
        break;
      case ItemType.RoleSelection: {
        // UID length (2) and the two role bytes: checked before the UID length is read from it.
        if (it.end - it.start < 4) throw new PduError('role selection item too short');
        const n = v.getUint16(it.start, false);
        if (it.start + 2 + n + 2 > it.end) throw new PduError('role selection item too short');
        (ui.roleSelections ??= []).push({
          sopClassUid: uid(b, it.start + 2, it.start + 2 + n),
          scu: b[it.start + 2 + n] === 1,
          scp: b[it.start + 3 + n] === 1,
        });
        break;
      }
      default:
        // Extended negotiation, user identity: optional, we neither need nor answer them.
        break;
    }
  }
  return ui;
}

function decodeAssociate(type: 0x01 | 0x02, b: Uint8Array): AssociateRq | AssociateAc {
  if (b.length < 68) throw new PduError('A-ASSOCIATE PDU shorter than its fixed fields');
  const v = dataView(b);
  const base = {
    protocolVersion: v.getUint16(0, false),
    calledAeTitle: trimPadding(asciiString(b, 4, 20)),
    callingAeTitle: trimPadding(asciiString(b, 20, 36)),
    applicationContext: '',
    userInformation: { maxPduLength: 0 } as UserInformation,
  };
  const rqContexts: PresentationContextRq[] = [];
  const acContexts: PresentationContextAc[] = [];
  let sawUserInfo = false;
  for (const it of items(b, 68, b.length)) {
    switch (it.type) {
      case ItemType.ApplicationContext:
        base.applicationContext = uid(b, it.start, it.end);
        break;
      case ItemType.PresentationContextRq: {
        if (type !== PduType.AssociateRq) throw new PduError('presentation context RQ item in A-ASSOCIATE-AC', AbortReason.UnexpectedPduParameter);
        if (it.end - it.start < 4) throw new PduError('presentation context item too short');
        const pc: PresentationContextRq = { id: b[it.start]!, abstractSyntax: '', transferSyntaxes: [] };
        for (const sub of items(b, it.start + 4, it.end)) {
          if (sub.type === ItemType.AbstractSyntax) pc.abstractSyntax = uid(b, sub.start, sub.end);
          else if (sub.type === ItemType.TransferSyntax) pc.transferSyntaxes.push(uid(b, sub.start, sub.end));
          else throw new PduError(`unexpected sub-item 0x${sub.type.toString(16)} in presentation context`, AbortReason.UnrecognizedPduParameter);
        }
        rqContexts.push(pc);
        break;
      }
      case ItemType.PresentationContextAc: {
        if (type !== PduType.AssociateAc) throw new PduError('presentation context AC item in A-ASSOCIATE-RQ', AbortReason.UnexpectedPduParameter);
        if (it.end - it.start < 4) throw new PduError('presentation context item too short');
        const pc: PresentationContextAc = { id: b[it.start]!, result: b[it.start + 2]!, transferSyntax: '' };
        for (const sub of items(b, it.start + 4, it.end)) {
          if (sub.type === ItemType.TransferSyntax) pc.transferSyntax = uid(b, sub.start, sub.end);
        }
        acContexts.push(pc);
        break;
      }
      case ItemType.UserInformation:
        base.userInformation = decodeUserInformation(b, it.start, it.end);
        sawUserInfo = true;
        break;
      default:
        throw new PduError(`unrecognized item 0x${it.type.toString(16)} in A-ASSOCIATE`, AbortReason.UnrecognizedPduParameter);
    }
  }
  if (!base.applicationContext) throw new PduError('A-ASSOCIATE without application context');
  if (!sawUserInfo) throw new PduError('A-ASSOCIATE without user information item');
  return type === PduType.AssociateRq
    ? { type, ...base, presentationContexts: rqContexts }
    : { type, ...base, presentationContexts: acContexts };
}

/** Decodes the PDVs of a whole P-DATA-TF body. */
export function decodePdvs(b: Uint8Array): PData {
  const v = dataView(b);
  const pdvs: PData['pdvs'] = [];
  let p = 0;
  while (p < b.length) {
    if (p + 6 > b.length) throw new PduError('truncated PDV header');
    const len = v.getUint32(p, false);
    if (len < 2 || p + 4 + len > b.length) throw new PduError(`PDV length ${len} disagrees with its PDU`);
    const control = b[p + 5]!;
    pdvs.push({ presentationContextId: b[p + 4]!, isCommand: (control & 1) === 1, isLast: (control & 2) === 2, data: b.subarray(p + 6, p + 4 + len) });
    p += 4 + len;
  }
  if (pdvs.length === 0) throw new PduError('P-DATA-TF without a PDV');
  return { type: PduType.PData, pdvs };
}

/** Decodes a PDU body (the bytes after the 6-byte header). */
export function decodePdu(type: number, body: Uint8Array): Pdu {
  switch (type) {
    case PduType.AssociateRq:
    case PduType.AssociateAc:
      return decodeAssociate(type, body);
    case PduType.AssociateRj:
      if (body.length !== 4) throw new PduError('A-ASSOCIATE-RJ must be 4 bytes');
      return { type, result: body[1]!, source: body[2]!, reason: body[3]! } satisfies AssociateRj;
    case PduType.PData:
      return decodePdvs(body);
    case PduType.ReleaseRq:
    case PduType.ReleaseRp:
      if (body.length !== 4) throw new PduError('A-RELEASE PDU must be 4 bytes');
      return { type };
    case PduType.Abort:
      if (body.length !== 4) throw new PduError('A-ABORT must be 4 bytes');
      return { type, source: body[2]!, reason: body[3]! } satisfies Abort;
    default:
      throw new PduError(`unrecognized PDU type 0x${type.toString(16)}`, AbortReason.UnrecognizedPdu);
  }
}

/**
 * `length` bytes taken from `parts` as P-DATA-TF PDUs of one PDV each, at most `maxData` bytes
 * of payload: each PDU's header, then slices of the parts (never copies). An empty dataset is
 * one empty PDV. `last` false leaves the last PDV without its last-fragment flag.
 */
export function* pdvFrames(pcId: number, isCommand: boolean, parts: readonly Uint8Array[], length: number, maxData: number, last = true): Generator<Uint8Array> {
  let part = 0;
  let offset = 0;
  let left = length;
  do {
    const n = Math.min(Math.max(1, maxData), left);
    left -= n;
    yield pdataHeader(pcId, isCommand, last && left === 0, n);
    for (let need = n; need > 0; ) {
      const p = parts[part]!;
      const take = Math.min(need, p.length - offset);
      if (take > 0) yield take === p.length ? p : p.subarray(offset, offset + take);
      offset += take;
      need -= take;
      if (offset === p.length) {
        part++;
        offset = 0;
      }
    }
  } while (left > 0);
}
