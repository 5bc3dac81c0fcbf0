/** PDU structures of PS3.8 section 9.3. Plain data: the codec turns them into bytes and back. */

export const PduType = {
  AssociateRq: 0x01,
  AssociateAc: 0x02,
  AssociateRj: 0x03,
  PData: 0x04,
  ReleaseRq: 0x05,
  ReleaseRp: 0x06,
  Abort: 0x07,
} as const;

export const DICOM_APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

export interface PresentationContextRq {
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

/** Result of a proposed presentation context (PS3.8 9.3.3.2). */
export const PcResult = {
  Acceptance: 0,
  UserRejection: 1,
  NoReason: 2,
  AbstractSyntaxNotSupported: 3,
  TransferSyntaxesNotSupported: 4,
} as const;

export interface PresentationContextAc {
  id: number;
  result: number;
  /** Required by the standard even when rejected; ignored by the peer then. */
  transferSyntax: string;
}

export interface RoleSelection {
  sopClassUid: string;
  scu: boolean;
  scp: boolean;
}

export interface UserInformation {
  maxPduLength: number;
  implementationClassUid?: string;
  implementationVersionName?: string;
  /** [max invoked, max performed] */
  asyncOpsWindow?: [number, number];
  roleSelections?: RoleSelection[];
}

export interface AssociateRq {
  type: typeof PduType.AssociateRq;
  protocolVersion: number;
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContext: string;
  presentationContexts: PresentationContextRq[];
  userInformation: UserInformation;
}

export interface AssociateAc {
  type: typeof PduType.AssociateAc;
  protocolVersion: number;
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContext: string;
  presentationContexts: PresentationContextAc[];
  userInformation: UserInformation;
}

/** PS3.8 9.3.4: result 1 permanent / 2 transient; source 1 user, 2 ACSE provider, 3 presentation provider. */
export interface AssociateRj {
  type: typeof PduType.AssociateRj;
  result: number;
  source: number;
  reason: number;
}

export const RejectResult = { Permanent: 1, Transient: 2 } as const;
export const RejectSource = { ServiceUser: 1, AcseProvider: 2, PresentationProvider: 3 } as const;
/** Reasons for source = service user. */
export const RejectUserReason = {
  NoReason: 1,
  ApplicationContextNotSupported: 2,
  CallingAeNotRecognized: 3,
  CalledAeNotRecognized: 7,
} as const;
/** Reasons for source = ACSE provider. */
export const RejectAcseReason = { NoReason: 1, ProtocolVersionNotSupported: 2 } as const;
/** Reasons for source = presentation provider. */
export const RejectPresentationReason = { TemporaryCongestion: 1, LocalLimitExceeded: 2 } as const;

export interface Pdv {
  presentationContextId: number;
  isCommand: boolean;
  isLast: boolean;
  data: Uint8Array;
}

export interface PData {
  type: typeof PduType.PData;
  pdvs: Pdv[];
}

export interface ReleaseRq {
  type: typeof PduType.ReleaseRq;
}
export interface ReleaseRp {
  type: typeof PduType.ReleaseRp;
}

/** PS3.8 9.3.8: source 0 service user, 2 service provider; reasons only meaningful for provider. */
export interface Abort {
  type: typeof PduType.Abort;
  source: number;
  reason: number;
}

export const AbortSource = { ServiceUser: 0, ServiceProvider: 2 } as const;
export const AbortReason = {
  NotSpecified: 0,
  UnrecognizedPdu: 1,
  UnexpectedPdu: 2,
  UnrecognizedPduParameter: 4,
  UnexpectedPduParameter: 5,
  InvalidPduParameterValue: 6,
} as const;

export type Pdu = AssociateRq | AssociateAc | AssociateRj | PData | ReleaseRq | ReleaseRp | Abort;

/** A PDU that cannot be decoded: the association answers it with A-ABORT (reason given). */
export class PduError extends Error {
  constructor(
    message: string,
    readonly abortReason: number = AbortReason.InvalidPduParameterValue,
  ) {
    super(message);
    this.name = 'PduError';
  }
}
