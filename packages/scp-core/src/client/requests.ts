/**
 * What a requestor sends and how it reads the acceptor's answer to its association, as pure
 * functions on the scp-core codecs. Shared by the two clients: `Scu` (the Node test peer, which
 * can also send raw or partial messages) and the load generator's runtime-agnostic association
 * (Node and k6), so neither carries its own copy of the encoding.
 */
import { CommandField, encodeCommand } from '../dimse/command.ts';
import { DICOM_APPLICATION_CONTEXT, PcResult, PduType, type AssociateAc, type AssociateRq, type PresentationContextRq } from '../pdu/types.ts';

export interface ProposedContext {
  abstractSyntax: string;
  transferSyntaxes: string[];
}

export interface AssociateParams {
  calledAeTitle: string;
  callingAeTitle: string;
  /** Largest PDU we accept. */
  maxPduLength: number;
  /** Proposed in this order, with ids 1, 3, 5… */
  contexts: ProposedContext[];
  implementationClassUid: string;
  implementationVersionName: string;
}

export interface AcceptedContext {
  id: number;
  abstractSyntax: string;
  transferSyntax: string;
}

export function associateRq(p: AssociateParams): AssociateRq {
  return {
    type: PduType.AssociateRq,
    protocolVersion: 1,
    calledAeTitle: p.calledAeTitle,
    callingAeTitle: p.callingAeTitle,
    applicationContext: DICOM_APPLICATION_CONTEXT,
    presentationContexts: p.contexts.map((c, i): PresentationContextRq => ({ id: i * 2 + 1, abstractSyntax: c.abstractSyntax, transferSyntaxes: c.transferSyntaxes })),
    userInformation: { maxPduLength: p.maxPduLength, implementationClassUid: p.implementationClassUid, implementationVersionName: p.implementationVersionName },
  };
}

/** The contexts the acceptor accepted, with the abstract syntax each was proposed for. */
export function acceptedContexts(rq: AssociateRq, ac: AssociateAc): AcceptedContext[] {
  const out: AcceptedContext[] = [];
  for (const pc of ac.presentationContexts) {
    const proposed = rq.presentationContexts.find((c) => c.id === pc.id);
    if (proposed && pc.result === PcResult.Acceptance) out.push({ id: pc.id, abstractSyntax: proposed.abstractSyntax, transferSyntax: pc.transferSyntax });
  }
  return out;
}

/** Largest PDV payload the acceptor takes; one that states no limit (0) gets 256 KiB PDUs, which every SCP we know accepts. */
export const maxPdvData = (ac: AssociateAc): number => (ac.userInformation.maxPduLength || 262144) - 6;

export function cStoreRq(messageId: number, sopClassUid: string, sopInstanceUid: string): Uint8Array {
  return encodeCommand({ commandField: CommandField.CStoreRq, messageId, affectedSopClassUid: sopClassUid, affectedSopInstanceUid: sopInstanceUid, priority: 0, hasDataset: true });
}
