/**
 * ACSE decisions for an A-ASSOCIATE-RQ (DESIGN.md "DIMSE answers"): admit or reject the
 * association, and accept or reject each presentation context.
 */
import {
  type AssociateAc,
  type AssociateRj,
  type AssociateRq,
  DICOM_APPLICATION_CONTEXT,
  PcResult,
  PduType,
  type PresentationContextAc,
  RejectAcseReason,
  RejectPresentationReason,
  RejectResult,
  RejectSource,
  RejectUserReason,
} from '../pdu/types.ts';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '@storescp/workers';
import { IMPORTABLE_TRANSFER_SYNTAXES, VERIFICATION_SOP_CLASS, isStorageSopClass, TransferSyntax } from './uids.ts';

export interface NegotiationPolicy {
  aeTitle: string;
  /** Empty = any calling AE. */
  allowedCallingAeTitles: ReadonlySet<string>;
  /** Empty = every storage SOP class. */
  supportedSopClasses: ReadonlySet<string>;
  maxPduLength: number;
}

export interface AcceptedContext {
  id: number;
  abstractSyntax: string;
  transferSyntax: string;
}

export type NegotiationOutcome =
  | { accepted: true; ac: AssociateAc; contexts: Map<number, AcceptedContext> }
  | { accepted: false; rj: AssociateRj; reason: string };

const reject = (result: number, source: number, reason: number, why: string): NegotiationOutcome => ({
  accepted: false,
  rj: { type: PduType.AssociateRj, result, source, reason },
  reason: why,
});

/** The association-count limit is decided by the listener, which knows the count; here for one place of truth. */
export const limitExceeded = (): NegotiationOutcome =>
  reject(RejectResult.Transient, RejectSource.PresentationProvider, RejectPresentationReason.LocalLimitExceeded, 'max-associations');

/** A P-DATA-TF carries at least one PDV: its 6-byte header and a byte of data. */
const SMALLEST_USABLE_PDU = 7;

export function negotiate(rq: AssociateRq, policy: NegotiationPolicy): NegotiationOutcome {
  if ((rq.protocolVersion & 1) === 0) {
    return reject(RejectResult.Permanent, RejectSource.AcseProvider, RejectAcseReason.ProtocolVersionNotSupported, 'protocol-version');
  }
  if (rq.applicationContext !== DICOM_APPLICATION_CONTEXT) {
    return reject(RejectResult.Permanent, RejectSource.ServiceUser, RejectUserReason.ApplicationContextNotSupported, 'application-context');
  }
  if (rq.calledAeTitle !== policy.aeTitle) {
    return reject(RejectResult.Permanent, RejectSource.ServiceUser, RejectUserReason.CalledAeNotRecognized, 'called-ae');
  }
  if (policy.allowedCallingAeTitles.size > 0 && !policy.allowedCallingAeTitles.has(rq.callingAeTitle)) {
    return reject(RejectResult.Permanent, RejectSource.ServiceUser, RejectUserReason.CallingAeNotRecognized, 'calling-ae');
  }
  const peerMax = rq.userInformation.maxPduLength;
  if (peerMax > 0 && peerMax < SMALLEST_USABLE_PDU) {
    // No answer of ours could fit in what the peer says it can take.
    return reject(RejectResult.Permanent, RejectSource.ServiceUser, RejectUserReason.NoReason, 'max-pdu-too-small');
  }

  const contexts = new Map<number, AcceptedContext>();
  const results: PresentationContextAc[] = [];
  for (const pc of rq.presentationContexts) {
    const supported =
      pc.abstractSyntax === VERIFICATION_SOP_CLASS ||
      (policy.supportedSopClasses.size > 0 ? policy.supportedSopClasses.has(pc.abstractSyntax) : isStorageSopClass(pc.abstractSyntax));
    // Verification carries no dataset: any uncompressed syntax will do.
    const acceptable = pc.abstractSyntax === VERIFICATION_SOP_CLASS
      ? (ts: string) => ts === TransferSyntax.ImplicitVRLittleEndian || ts === TransferSyntax.ExplicitVRLittleEndian
      : (ts: string) => IMPORTABLE_TRANSFER_SYNTAXES.has(ts);
    const ts = supported ? pc.transferSyntaxes.find(acceptable) : undefined;
    const valid = pc.id % 2 === 1 && !contexts.has(pc.id);
    if (valid && supported && ts) {
      contexts.set(pc.id, { id: pc.id, abstractSyntax: pc.abstractSyntax, transferSyntax: ts });
      results.push({ id: pc.id, result: PcResult.Acceptance, transferSyntax: ts });
    } else {
      const result = !valid ? PcResult.NoReason : !supported ? PcResult.AbstractSyntaxNotSupported : PcResult.TransferSyntaxesNotSupported;
      results.push({ id: pc.id, result, transferSyntax: TransferSyntax.ImplicitVRLittleEndian });
    }
  }

  return {
    accepted: true,
    contexts,
    ac: {
      type: PduType.AssociateAc,
      protocolVersion: 1,
      calledAeTitle: rq.calledAeTitle,
      callingAeTitle: rq.callingAeTitle,
      applicationContext: DICOM_APPLICATION_CONTEXT,
      presentationContexts: results,
      userInformation: {
        maxPduLength: policy.maxPduLength,
        implementationClassUid: IMPLEMENTATION_CLASS_UID,
        implementationVersionName: IMPLEMENTATION_VERSION_NAME,
      },
    },
  };
}
