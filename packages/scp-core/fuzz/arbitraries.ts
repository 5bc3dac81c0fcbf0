/**
 * fast-check generators for the property tests: valid PDUs and command sets (so that mutations
 * start from something the decoders get deep into), the corpus datasets, and byte-level mutations.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { DICOM_APPLICATION_CONTEXT, PduType, encodePdu, type AssociateRq, type PData, type Pdu } from '../src/pdu/index.ts';
import { encodeCommand, type Command } from '../src/dimse/command.ts';
import { readPart10Meta } from '@storescp/workers/part10-meta';

/** A UID as the codec round-trips it: digit components, at most 64 characters. */
export const uid = fc
  .array(fc.oneof(fc.constant('0'), fc.integer({ min: 1, max: 99999 }).map(String)), { minLength: 2, maxLength: 12 })
  .map((parts) => parts.join('.').slice(0, 64).replace(/\.$/, ''));

/** AE titles without leading or trailing spaces (the codec trims padding). */
export const aeTitle = fc.stringMatching(/^[A-Z0-9_]([A-Z0-9_ ]{0,14}[A-Z0-9_])?$/);

export const associateRq: fc.Arbitrary<AssociateRq> = fc.record({
  type: fc.constant(PduType.AssociateRq),
  protocolVersion: fc.constant(1),
  calledAeTitle: aeTitle,
  callingAeTitle: aeTitle,
  applicationContext: fc.constant(DICOM_APPLICATION_CONTEXT),
  presentationContexts: fc.array(
    fc.record({ id: fc.integer({ min: 0, max: 127 }).map((n) => n * 2 + 1), abstractSyntax: uid, transferSyntaxes: fc.array(uid, { minLength: 1, maxLength: 4 }) }),
    { maxLength: 6 },
  ),
  userInformation: fc.record(
    {
      maxPduLength: fc.nat(),
      implementationClassUid: uid,
      implementationVersionName: aeTitle,
      asyncOpsWindow: fc.tuple(fc.nat(0xffff), fc.nat(0xffff)),
      roleSelections: fc.array(fc.record({ sopClassUid: uid, scu: fc.boolean(), scp: fc.boolean() }), { minLength: 1, maxLength: 3 }),
    },
    { requiredKeys: ['maxPduLength'] },
  ),
});

export const pdata: fc.Arbitrary<PData> = fc.record({
  type: fc.constant(PduType.PData),
  pdvs: fc.array(
    fc.record({ presentationContextId: fc.integer({ min: 1, max: 255 }), isCommand: fc.boolean(), isLast: fc.boolean(), data: fc.uint8Array({ maxLength: 3000 }) }),
    { minLength: 1, maxLength: 4 },
  ),
});

const smallPdu: fc.Arbitrary<Pdu> = fc.oneof(
  fc.constant({ type: PduType.ReleaseRq } as const),
  fc.constant({ type: PduType.ReleaseRp } as const),
  fc.record({ type: fc.constant(PduType.Abort), source: fc.nat(2), reason: fc.nat(6) }),
  fc.record({ type: fc.constant(PduType.AssociateRj), result: fc.integer({ min: 1, max: 2 }), source: fc.integer({ min: 1, max: 3 }), reason: fc.nat(7) }),
);

/** What a peer sends on one connection: an A-ASSOCIATE-RQ, then P-DATA and the other PDUs. */
export const pduSequence: fc.Arbitrary<Pdu[]> = fc.tuple(associateRq, fc.array(fc.oneof(pdata, smallPdu), { maxLength: 6 })).map(([rq, rest]) => [rq, ...rest]);

/** `type reserved length value`, the item framing of A-ASSOCIATE PDUs (PS3.8 9.3.2). */
const item = (types: fc.Arbitrary<number>, value: fc.Arbitrary<Uint8Array>) =>
  fc.tuple(types, value).map(([type, v]) => {
    const h = Buffer.alloc(4);
    h[0] = type;
    h.writeUInt16BE(v.length, 2);
    return Buffer.concat([h, v]);
  });

const concatItems = (items: fc.Arbitrary<Uint8Array[]>) => items.map((list) => Buffer.concat(list));
/** Short random values, so every decoder meets every size around what it expects (0-8 bytes). */
const shortValue = fc.uint8Array({ maxLength: 8 });
const anyType = fc.nat(255);

const userInformationItem = item(
  fc.constant(0x50),
  concatItems(fc.array(item(fc.oneof(fc.integer({ min: 0x51, max: 0x59 }), anyType), shortValue), { maxLength: 5 })),
);
const presentationContextItem = item(
  fc.constantFrom(0x20, 0x21),
  fc.tuple(fc.uint8Array({ minLength: 0, maxLength: 4 }), concatItems(fc.array(item(fc.oneof(fc.constantFrom(0x30, 0x40), anyType), shortValue), { maxLength: 4 }))).map(
    ([fixed, subItems]) => Buffer.concat([fixed, subItems]),
  ),
);
const applicationContextItem = item(fc.constant(0x10), fc.oneof(fc.constant(Buffer.from(DICOM_APPLICATION_CONTEXT)), shortValue));

/**
 * A-ASSOCIATE-RQ/AC whose variable part is items of the right shapes with random contents: gets
 * into every item decoder far more often than random bytes or mutations of valid PDUs do.
 */
export const associateFromItems: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.constantFrom(PduType.AssociateRq, PduType.AssociateAc), fc.array(fc.oneof(applicationContextItem, presentationContextItem, userInformationItem, item(anyType, shortValue)), { maxLength: 6 }))
  .map(([type, items]) => {
    const fixed = Buffer.alloc(68);
    fixed.writeUInt16BE(1, 0);
    const body = Buffer.concat([fixed, ...items]);
    const header = Buffer.alloc(6);
    header[0] = type;
    header.writeUInt32BE(body.length, 2);
    return Buffer.concat([header, body]);
  });

export const encodeAll = (pdus: Pdu[]): Uint8Array => Buffer.concat(pdus.map(encodePdu));

export const command: fc.Arbitrary<Command> = fc.record(
  {
    commandField: fc.constantFrom(0x0001, 0x8001, 0x0030, 0x8030, 0x0fff, 0x0020),
    messageId: fc.nat(0xffff),
    messageIdBeingRespondedTo: fc.nat(0xffff),
    affectedSopClassUid: uid,
    affectedSopInstanceUid: uid,
    priority: fc.nat(2),
    hasDataset: fc.boolean(),
    status: fc.nat(0xffff),
    errorComment: fc.string({ maxLength: 64 }),
    moveOriginatorAeTitle: aeTitle,
    moveOriginatorMessageId: fc.nat(0xffff),
  },
  { requiredKeys: ['commandField', 'hasDataset'] },
);

export const encodedCommand = command.map(encodeCommand);

// ---------------------------------------------------------------- corpus

export interface CorpusDataset {
  name: string;
  transferSyntaxUid: string;
  dataset: Uint8Array;
}

const CORPUS = fileURLToPath(new URL('../../../testdata/dicom/', import.meta.url));

/** Every corpus file's dataset (the part after the File Meta Information) with its transfer syntax. */
export function corpusDatasets(): CorpusDataset[] {
  return readdirSync(CORPUS)
    .filter((f) => f.endsWith('.dcm'))
    .sort()
    .map((name) => {
      const file = readFileSync(join(CORPUS, name));
      const meta = readPart10Meta(file);
      return { name, transferSyntaxUid: meta.transferSyntaxUid, dataset: file.subarray(meta.datasetOffset) };
    });
}

// ---------------------------------------------------------------- mutations

/** One edit; positions are fractions of the input's length so they apply to any input. */
export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  /** A 16- or 32-bit length field (either byte order) overwritten with an extreme or random value. */
  | { kind: 'length'; at: number; width: 2 | 4; littleEndian: boolean; value: number };

const at = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('set' as const), at, value: fc.nat(255) }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.record({ kind: fc.constant('delete' as const), at, count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({
    kind: fc.constant('length' as const),
    at,
    width: fc.constantFrom(2 as const, 4 as const),
    littleEndian: fc.boolean(),
    value: fc.oneof(fc.constantFrom(0, 1, 0xffff, 0xfffe, 0xffffffff, 0x7fffffff, 0x10000), fc.nat()),
  }),
);

export const mutations = fc.array(mutation, { minLength: 1, maxLength: 6 });

export function mutate(input: Uint8Array, edits: Mutation[]): Uint8Array {
  let b = Buffer.from(input);
  for (const m of edits) {
    const p = Math.floor(m.at * b.length);
    switch (m.kind) {
      case 'flip':
        if (b.length) b[p] = b[p]! ^ (1 << m.bit);
        break;
      case 'set':
        if (b.length) b[p] = m.value;
        break;
      case 'truncate':
        b = b.subarray(0, p);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, p), b.subarray(p + m.count)]);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, p), m.bytes, b.subarray(p)]);
        break;
      case 'length': {
        if (p + m.width > b.length) break;
        const v = m.width === 2 ? m.value & 0xffff : m.value >>> 0;
        if (m.width === 2) m.littleEndian ? b.writeUInt16LE(v, p) : b.writeUInt16BE(v, p);
        else m.littleEndian ? b.writeUInt32LE(v, p) : b.writeUInt32BE(v, p);
        break;
      }
    }
  }
  return b;
}

/** Cut points for splitting a stream the way TCP might deliver it (fractions mapped by readPdus' caller). */
export const cuts = fc.array(at, { maxLength: 12 });
export const cutsFor = (length: number, fractions: number[]) => fractions.map((f) => Math.floor(f * length));
