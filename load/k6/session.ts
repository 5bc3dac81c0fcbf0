/**
 * One k6 iteration = one association: open it through the NLB, send STORES C-STOREs of
 * synthetic instances (fresh UIDs each), release. Metrics carry the DIMSE status as a tag.
 *
 * Environment: HOST, PORT (11112), CALLED_AE (STORESCP), CALLING_AE (K6SCU), SIZE_MB (0.5),
 * STORES (C-STOREs per association, 20), TLS=1, TLS_SERVER_NAME, TLS_INSECURE=1.
 */
import { check } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import net from 'k6/x/net';
import { TransferSyntax, VERIFICATION_SOP_CLASS } from '@storescp/scp-core';
import { associateOverNetSocket } from '../src/protocol/xk6-net-transport.ts';
import { SyntheticSource } from '../src/synthetic/in-memory.ts';
import { CT_IMAGE_STORAGE, EXPLICIT_VR_LITTLE_ENDIAN, MULTIFRAME_GRAYSCALE_WORD_SC, framesFor } from '../src/synthetic/instances.ts';

const env = (name: string, fallback: string) => __ENV[name] ?? fallback;
const HOST = env('HOST', '127.0.0.1');
const PORT = Number(env('PORT', '11112'));
const SIZE = Number(env('SIZE_MB', '0.5')) * 1e6;
const STORES = Number(env('STORES', '20'));

const storeDuration = new Trend('dicom_store_duration', true);
const setupDuration = new Trend('dicom_association_setup', true);
const storedBytes = new Counter('dicom_stored_bytes');
const stored = new Rate('dicom_store_ok');
const associationFailures = new Counter('dicom_association_failures');

// Per VU: k6 runs each VU in its own runtime, so this source is not shared between VUs.
const source = new SyntheticSource(SIZE);
const sopClass = framesFor(SIZE).frames === 1 ? CT_IMAGE_STORAGE : MULTIFRAME_GRAYSCALE_WORD_SC;

export async function storeSession(): Promise<void> {
  const started = Date.now();
  let association;
  try {
    association = await associateOverNetSocket(
      new net.Socket(),
      HOST,
      PORT,
      { timeout: 30_000, tls: env('TLS', '') === '1', serverName: env('TLS_SERVER_NAME', ''), insecureSkipVerify: env('TLS_INSECURE', '') === '1' },
      {
        calledAeTitle: env('CALLED_AE', 'STORESCP'),
        callingAeTitle: env('CALLING_AE', 'K6SCU'),
        maxPduLength: 262144,
        proposals: [
          { abstractSyntax: sopClass, transferSyntax: EXPLICIT_VR_LITTLE_ENDIAN },
          { abstractSyntax: VERIFICATION_SOP_CLASS, transferSyntax: TransferSyntax.ImplicitVRLittleEndian },
        ],
      },
    );
  } catch (err) {
    associationFailures.add(1, { reason: String(err) });
    return;
  }
  setupDuration.add(Date.now() - started);
  for (let i = 0; i < STORES; i++) {
    const inst = source.next();
    const t0 = Date.now();
    let status = -1;
    try {
      status = await association.store(inst);
    } catch (err) {
      associationFailures.add(1, { reason: String(err) });
      return;
    }
    const tags = { status: `0x${status.toString(16).padStart(4, '0')}` };
    storeDuration.add(Date.now() - t0, tags);
    stored.add(status === 0, tags);
    if (status === 0) storedBytes.add(inst.length);
    check(status, { 'C-STORE status is success': (s) => s === 0 });
  }
  await association.release();
}
