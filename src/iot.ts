import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CancelCertificateTransferCommand,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  ListOutgoingCertificatesCommand,
  TransferCertificateCommand,
  UpdateCertificateCommand,
  paginateListAttachedPolicies,
  paginateListPrincipalThingsV2,
  type OutgoingCertificate,
} from '@aws-sdk/client-iot';
import { iot } from './clients/iot.js';
import { awsErrorName, CertificateNotTransferable } from './errors.js';
import type { CertificateStatus, ThingAttachment, ThingPrincipalType } from './types.js';

/** Error names IoT uses for transient faults; the state machine retries these with jitter. */
export const RETRYABLE_IOT_ERRORS = ['ThrottlingException', 'ServiceUnavailableException', 'InternalFailureException'] as const;

/** Certificate statuses IoT refuses to transfer from (TransferCertificate answers them with an error). */
export const NOT_TRANSFERABLE_STATUSES: ReadonlySet<string> = new Set(['REVOKED', 'PENDING_TRANSFER', 'PENDING_ACTIVATION', 'REGISTER_INACTIVE']);

/** Throws `CertificateNotTransferable` when the certificate's status is one IoT will not transfer from. */
export function assertTransferable(certificateId: string, status: string): void {
  if (NOT_TRANSFERABLE_STATUSES.has(status)) throw new CertificateNotTransferable(`Certificate ${certificateId} is ${status} and cannot be transferred`);
}

export interface CertificateDescription {
  certificateId: string;
  certificateArn: string;
  status: CertificateStatus;
  ownedBy?: string;
  previousOwnedBy?: string;
  transferData?: { transferMessage?: string; rejectReason?: string; transferDate?: Date; acceptDate?: Date; rejectDate?: Date };
}

const isNotFound = (err: unknown) => awsErrorName(err) === 'ResourceNotFoundException';

/** DescribeCertificate; `undefined` when this account cannot see the certificate. */
export async function describeCertificate(certificateId: string): Promise<CertificateDescription | undefined> {
  try {
    const { certificateDescription: d } = await iot.send(new DescribeCertificateCommand({ certificateId }));
    if (!d?.certificateArn || !d.status) return undefined;
    return {
      certificateId,
      certificateArn: d.certificateArn,
      status: d.status as CertificateStatus,
      ownedBy: d.ownedBy,
      previousOwnedBy: d.previousOwnedBy,
      transferData: d.transferData,
    };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Every policy attached to the certificate, across all pages. */
export async function listAttachedPolicies(certificateArn: string): Promise<string[]> {
  const names: string[] = [];
  for await (const page of paginateListAttachedPolicies({ client: iot }, { target: certificateArn, pageSize: 250 })) {
    for (const p of page.policies ?? []) if (p.policyName) names.push(p.policyName);
  }
  return names;
}

/** Every thing attached to the certificate, with its attachment type, across all pages. */
export async function listPrincipalThings(certificateArn: string): Promise<ThingAttachment[]> {
  const things: ThingAttachment[] = [];
  for await (const page of paginateListPrincipalThingsV2({ client: iot }, { principal: certificateArn, maxResults: 250 })) {
    for (const t of page.principalThingObjects ?? []) {
      if (t.thingName) things.push({ thingName: t.thingName, thingPrincipalType: (t.thingPrincipalType as ThingPrincipalType) ?? 'NON_EXCLUSIVE_THING' });
    }
  }
  return things;
}

export async function setCertificateStatus(certificateId: string, newStatus: 'ACTIVE' | 'INACTIVE'): Promise<void> {
  await iot.send(new UpdateCertificateCommand({ certificateId, newStatus }));
}

/** Detaches a policy; one that is no longer attached counts as detached. */
export async function detachPolicy(policyName: string, certificateArn: string): Promise<'DETACHED' | 'ALREADY_DETACHED'> {
  try {
    await iot.send(new DetachPolicyCommand({ policyName, target: certificateArn }));
    return 'DETACHED';
  } catch (err) {
    if (isNotFound(err)) return 'ALREADY_DETACHED';
    throw err;
  }
}

/** Detaches a thing; one that is no longer attached counts as detached. */
export async function detachThing(thingName: string, certificateArn: string): Promise<'DETACHED' | 'ALREADY_DETACHED'> {
  try {
    await iot.send(new DetachThingPrincipalCommand({ thingName, principal: certificateArn }));
    return 'DETACHED';
  } catch (err) {
    if (isNotFound(err)) return 'ALREADY_DETACHED';
    throw err;
  }
}

/** AttachPolicy is idempotent in IoT: attaching an attached policy succeeds. */
export async function attachPolicy(policyName: string, certificateArn: string): Promise<void> {
  await iot.send(new AttachPolicyCommand({ policyName, target: certificateArn }));
}

export async function attachThing(thing: ThingAttachment, certificateArn: string): Promise<void> {
  await iot.send(new AttachThingPrincipalCommand({ thingName: thing.thingName, principal: certificateArn, thingPrincipalType: thing.thingPrincipalType }));
}

export async function transferCertificate(certificateId: string, targetAwsAccount: string, transferMessage?: string): Promise<string | undefined> {
  const out = await iot.send(new TransferCertificateCommand({ certificateId, targetAwsAccount, transferMessage }));
  return out.transferredCertificateArn;
}

/**
 * Cancels a pending transfer. `ALREADY_COMPLETED` means the target settled it
 * first (TransferAlreadyCompletedException, 410): the caller decides whether
 * that was an accept or a reject.
 */
export async function cancelTransfer(certificateId: string): Promise<'CANCELLED' | 'ALREADY_COMPLETED'> {
  try {
    await iot.send(new CancelCertificateTransferCommand({ certificateId }));
    return 'CANCELLED';
  } catch (err) {
    if (awsErrorName(err) === 'TransferAlreadyCompletedException') return 'ALREADY_COMPLETED';
    throw err;
  }
}

/** Every outgoing (pending) transfer of this account, across all pages. */
export async function listOutgoingTransfers(): Promise<OutgoingCertificate[]> {
  const all: OutgoingCertificate[] = [];
  let marker: string | undefined;
  do {
    const page = await iot.send(new ListOutgoingCertificatesCommand({ pageSize: 250, marker }));
    all.push(...(page.outgoingCertificates ?? []));
    marker = page.nextMarker;
  } while (marker);
  return all;
}
