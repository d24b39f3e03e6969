/**
 * IoT vocabulary and wire shapes: statuses, modes, operation names, the caller's context, and each
 * operation's input and output (wire member names; dates as Date, the protocol layer encodes them).
 */

export const CERTIFICATE_STATUSES = ['ACTIVE', 'INACTIVE', 'REVOKED', 'PENDING_TRANSFER', 'REGISTER_INACTIVE', 'PENDING_ACTIVATION'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];
export const CERTIFICATE_MODES = ['DEFAULT', 'SNI_ONLY'] as const;
export type CertificateMode = (typeof CERTIFICATE_MODES)[number];
export const THING_PRINCIPAL_TYPES = ['EXCLUSIVE_THING', 'NON_EXCLUSIVE_THING'] as const;
export type ThingPrincipalType = (typeof THING_PRINCIPAL_TYPES)[number];

export const IOT_OPERATIONS = [
  'CreateKeysAndCertificate',
  'RegisterCertificateWithoutCA',
  'DescribeCertificate',
  'ListCertificates',
  'UpdateCertificate',
  'DeleteCertificate',
  'ListOutgoingCertificates',
  'TransferCertificate',
  'AcceptCertificateTransfer',
  'RejectCertificateTransfer',
  'CancelCertificateTransfer',
  'CreatePolicy',
  'GetPolicy',
  'DeletePolicy',
  'ListPolicies',
  'AttachPolicy',
  'DetachPolicy',
  'ListAttachedPolicies',
  'ListTargetsForPolicy',
  'CreateThing',
  'DescribeThing',
  'UpdateThing',
  'DeleteThing',
  'ListThings',
  'AttachThingPrincipal',
  'DetachThingPrincipal',
  'ListPrincipalThings',
  'ListPrincipalThingsV2',
  'ListThingPrincipals',
  'ListThingPrincipalsV2',
] as const;
export type IotOperation = (typeof IOT_OPERATIONS)[number];

/** Who is calling: the account (from the access key id) and the region (from the SigV4 scope). */
export interface CallContext {
  account: string;
  region: string;
}

export interface TransferData {
  transferMessage?: string;
  rejectReason?: string;
  transferDate?: Date;
  acceptDate?: Date;
  rejectDate?: Date;
}

export interface CertificateDescription {
  certificateArn: string;
  certificateId: string;
  status: CertificateStatus;
  certificatePem: string;
  ownedBy: string;
  previousOwnedBy?: string;
  creationDate: Date;
  lastModifiedDate: Date;
  customerVersion: number;
  transferData?: TransferData;
  generationId: string;
  validity: { notBefore: Date; notAfter: Date };
  certificateMode: CertificateMode;
}

export interface CertificateSummary {
  certificateArn: string;
  certificateId: string;
  status: CertificateStatus;
  certificateMode: CertificateMode;
  creationDate: Date;
}

export interface OutgoingCertificate {
  certificateArn: string;
  certificateId: string;
  transferredTo: string;
  transferDate: Date;
  transferMessage?: string;
  creationDate: Date;
}

export interface PolicySummary {
  policyName: string;
  policyArn: string;
}

export interface ThingAttributeSummary {
  thingName: string;
  thingArn: string;
  attributes: Record<string, string>;
  version: number;
}

type Page = { pageSize?: number; marker?: string };
type TokenPage = { maxResults?: number; nextToken?: string };

export interface IotInputs {
  CreateKeysAndCertificate: { setAsActive?: boolean };
  RegisterCertificateWithoutCA: { certificatePem?: string; status?: string };
  DescribeCertificate: { certificateId?: string };
  ListCertificates: Page & { ascendingOrder?: boolean };
  UpdateCertificate: { certificateId?: string; newStatus?: string };
  DeleteCertificate: { certificateId?: string; forceDelete?: boolean };
  ListOutgoingCertificates: Page & { ascendingOrder?: boolean };
  TransferCertificate: { certificateId?: string; targetAwsAccount?: string; transferMessage?: string };
  AcceptCertificateTransfer: { certificateId?: string; setAsActive?: boolean };
  RejectCertificateTransfer: { certificateId?: string; rejectReason?: string };
  CancelCertificateTransfer: { certificateId?: string };
  CreatePolicy: { policyName?: string; policyDocument?: string; tags?: { Key: string; Value?: string }[] };
  GetPolicy: { policyName?: string };
  DeletePolicy: { policyName?: string };
  ListPolicies: Page & { ascendingOrder?: boolean };
  AttachPolicy: { policyName?: string; target?: string };
  DetachPolicy: { policyName?: string; target?: string };
  ListAttachedPolicies: Page & { target?: string; recursive?: boolean };
  ListTargetsForPolicy: Page & { policyName?: string };
  CreateThing: { thingName?: string; thingTypeName?: string; attributePayload?: { attributes?: Record<string, string>; merge?: boolean }; billingGroupName?: string };
  DescribeThing: { thingName?: string };
  UpdateThing: { thingName?: string; thingTypeName?: string; attributePayload?: { attributes?: Record<string, string>; merge?: boolean }; expectedVersion?: number; removeThingType?: boolean };
  DeleteThing: { thingName?: string; expectedVersion?: number };
  ListThings: TokenPage & { attributeName?: string; attributeValue?: string; thingTypeName?: string; usePrefixAttributeValue?: boolean };
  AttachThingPrincipal: { thingName?: string; principal?: string; thingPrincipalType?: string };
  DetachThingPrincipal: { thingName?: string; principal?: string };
  ListPrincipalThings: TokenPage & { principal?: string };
  ListPrincipalThingsV2: TokenPage & { principal?: string; thingPrincipalType?: string };
  ListThingPrincipals: TokenPage & { thingName?: string };
  ListThingPrincipalsV2: TokenPage & { thingName?: string; thingPrincipalType?: string };
}

export interface IotOutputs {
  CreateKeysAndCertificate: { certificateArn: string; certificateId: string; certificatePem: string; keyPair: { PublicKey: string; PrivateKey: string } };
  RegisterCertificateWithoutCA: { certificateArn: string; certificateId: string };
  DescribeCertificate: { certificateDescription: CertificateDescription };
  ListCertificates: { certificates: CertificateSummary[]; nextMarker?: string };
  UpdateCertificate: void;
  DeleteCertificate: void;
  ListOutgoingCertificates: { outgoingCertificates: OutgoingCertificate[]; nextMarker?: string };
  TransferCertificate: { transferredCertificateArn: string };
  AcceptCertificateTransfer: void;
  RejectCertificateTransfer: void;
  CancelCertificateTransfer: void;
  CreatePolicy: { policyName: string; policyArn: string; policyDocument: string; policyVersionId: string };
  GetPolicy: { policyName: string; policyArn: string; policyDocument: string; defaultVersionId: string; creationDate: Date; lastModifiedDate: Date; generationId: string };
  DeletePolicy: void;
  ListPolicies: { policies: PolicySummary[]; nextMarker?: string };
  AttachPolicy: void;
  DetachPolicy: void;
  ListAttachedPolicies: { policies: PolicySummary[]; nextMarker?: string };
  ListTargetsForPolicy: { targets: string[]; nextMarker?: string };
  CreateThing: { thingName: string; thingArn: string; thingId: string };
  DescribeThing: { defaultClientId: string; thingName: string; thingId: string; thingArn: string; attributes: Record<string, string>; version: number };
  UpdateThing: Record<string, never>;
  DeleteThing: Record<string, never>;
  ListThings: { things: ThingAttributeSummary[]; nextToken?: string };
  AttachThingPrincipal: Record<string, never>;
  DetachThingPrincipal: Record<string, never>;
  ListPrincipalThings: { things: string[]; nextToken?: string };
  ListPrincipalThingsV2: { principalThingObjects: { thingName: string; thingPrincipalType: ThingPrincipalType }[]; nextToken?: string };
  ListThingPrincipals: { principals: string[]; nextToken?: string };
  ListThingPrincipalsV2: { thingPrincipalObjects: { principal: string; thingPrincipalType: ThingPrincipalType }[]; nextToken?: string };
}
