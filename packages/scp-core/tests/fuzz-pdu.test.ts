/**
 * Property tests of the PDU layer and the DIMSE command decoder: random bytes, valid streams split
 * the way TCP may split them, and mutations of valid PDUs and command sets. The contracts are in
 * fuzz/oracles.ts: events or PduError/DimseError, nothing else, within the limits. Fixed seeds,
 * so a failure reproduces; fuzz/ runs the same contracts coverage-guided for longer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { associateFromItems, cuts, cutsFor, encodeAll, encodedCommand, mutate, mutations, pduSequence } from '../fuzz/arbitraries.ts';
import { fuzz as headerTarget } from '../fuzz/header.fuzz.ts';
import { READER_LIMITS, decodeCommandChecked, readPdus } from '../fuzz/oracles.ts';
import { fuzz as pduTarget } from '../fuzz/pdu.fuzz.ts';
import { DimseError } from '../src/dimse/command.ts';
import { PduError, PduType } from '../src/pdu/index.ts';

const params = (numRuns: number) => ({ seed: 0x5eed, numRuns });

test('random bytes in random pieces: the PDU reader delivers events or throws PduError', { timeout: 20_000 }, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), cuts, (bytes, fractions) => {
      readPdus(bytes, cutsFor(bytes.length, fractions));
    }),
    params(2000),
  );
});

test('random bytes after a valid PDU type byte reach the decoders, which answer with PduError', { timeout: 20_000 }, () => {
  // Random first bytes are mostly refused at the type check; this gets past it into every decoder.
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 7 }), fc.uint8Array({ maxLength: 600 }), (type, body) => {
      const pdu = Buffer.alloc(6 + body.length);
      pdu[0] = type;
      pdu.writeUInt32BE(body.length, 2);
      pdu.set(body, 6);
      readPdus(pdu);
    }),
    params(2000),
  );
});

test('A-ASSOCIATE PDUs made of random items: every item decoder answers with PduError or a PDU', { timeout: 20_000 }, () => {
  // The role selection bug below took ~7,000 runs to find from this seed.
  fc.assert(fc.property(associateFromItems, (pdu) => void readPdus(pdu)), params(10_000));
});

test('a valid stream split anywhere delivers exactly what was encoded', { timeout: 20_000 }, () => {
  fc.assert(
    fc.property(pduSequence, cuts, (pdus, fractions) => {
      const stream = encodeAll(pdus);
      const whole = readPdus(stream);
      assert.equal(whole.error, undefined);
      // The association PDUs come back as they were encoded (P-DATA is streamed as PDVs instead).
      const plain = (x: unknown) => JSON.parse(JSON.stringify(x)); // fast-check's records have no prototype
      assert.deepEqual(plain(whole.pdus), plain(pdus.filter((p) => p.type !== PduType.PData)));
      assert.deepEqual(readPdus(stream, cutsFor(stream.length, fractions)).events, whole.events);
    }),
    params(500),
  );
});

test('mutated valid streams: events or PduError, and splitting changes nothing', { timeout: 20_000 }, () => {
  fc.assert(
    fc.property(pduSequence, mutations, cuts, (pdus, edits, fractions) => {
      const stream = mutate(encodeAll(pdus), edits);
      const whole = readPdus(stream);
      const split = readPdus(stream, cutsFor(stream.length, fractions));
      // The reader is incremental: where the bytes are cut must not change what it sees.
      assert.deepEqual(split.events, whole.events);
      assert.equal(split.error?.message, whole.error?.message);
    }),
    params(2000),
  );
});

test('a declared length over the limit is refused from the 6-byte header, before any body is buffered', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: READER_LIMITS.maxPDataLength + 1, max: 0xffffffff }), (type, length) => {
      const header = Buffer.alloc(6);
      header[0] = type;
      header.writeUInt32BE(length, 2);
      const run = readPdus(header);
      assert.ok(run.error instanceof PduError, `type ${type} length ${length} was not refused`);
    }),
    params(1000),
  );
});

test('command sets: random and mutated bytes decode to a Command or DimseError', { timeout: 20_000 }, () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => void decodeCommandChecked(bytes)), params(2000));
  fc.assert(
    fc.property(encodedCommand, mutations, (bytes, edits) => void decodeCommandChecked(mutate(bytes, edits))),
    params(2000),
  );
  // And valid ones decode: the generator is not just producing garbage.
  fc.assert(fc.property(encodedCommand, (bytes) => assert.ok(!(decodeCommandChecked(bytes) instanceof DimseError))), params(500));
});

test('found by fuzzing: a role selection sub-item shorter than 2 bytes at the end of the PDU is a PduError', () => {
  // Was a RangeError (DataView read past the end), logged as an internal error and aborted with reason 0.
  const pdu = Buffer.alloc(82);
  pdu.set([0x01, 0, 0, 0, 0, 76, 0, 1], 0);
  pdu.set([0x50, 0, 0, 4, 0x54, 0, 0, 0], 74);
  const run = readPdus(pdu);
  assert.ok(run.error instanceof PduError);
  assert.match(run.error.message, /role selection item too short/);
});

test('the Jazzer.js targets (run outside CI) accept valid and random inputs', () => {
  // Keeps fuzz/*.fuzz.ts working although libFuzzer itself cannot load here (see fuzz/README.md).
  fc.assert(
    fc.property(fc.nat(255), pduSequence, fc.uint8Array({ maxLength: 512 }), (selector, pdus, random) => {
      pduTarget(Buffer.concat([Buffer.from([selector]), encodeAll(pdus)]));
      pduTarget(Buffer.from(random));
      headerTarget(Buffer.from(random));
    }),
    params(300),
  );
});
