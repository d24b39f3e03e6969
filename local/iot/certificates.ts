/**
 * Certificate operations: create (real X.509) and register (multi-account), describe, list, update,
 * delete, list outgoing; and the certificate's wire description, shared with the console views.
 */
import { randomUUID } from 'node:crypto';
import { issueDeviceCertificate, parseCertificatePem } from './certs.js';
import { alreadyExists, certState, deleteConflict, invalid, notFound } from './errors.js';
import { compare, paginate } from './pagination.js';
import { modeOf, type CertRecord, type TransferState } from './registry.js';
import type { IotState } from './state.js';
import type { CallContext, CertificateDescription, CertificateMode, CertificateStatus, IotInputs, IotOutputs, TransferData } from './types.js';
import { certificateIdOf, maxLength, pageSizeOf, required, statusOf } from './validation.js';

/** Creation-date sort key for certificates: fixed-width time, then id. */
function certKey(c: CertRecord): string {
  return `${String(c.creationDate).padStart(15, '0')}#${c.certificateId}`;
}

/** Epoch milliseconds on the wire as a Date (absent stays absent). */
export const date = (ms: number | undefined): Date | undefined => (ms === undefined ? undefined : new Date(ms));

function describe(s: IotState, region: string, cert: CertRecord): CertificateDescription {
  return {
    certificateArn: s.certArn(region, cert),
    certificateId: cert.certificateId,
    status: cert.status,
    certificatePem: cert.certificatePem,
    ownedBy: cert.owner,
    previousOwnedBy: cert.previousOwnedBy,
    creationDate: new Date(cert.creationDate),
    lastModifiedDate: new Date(cert.lastModifiedDate),
    customerVersion: cert.customerVersion,
    transferData: cert.transferData ? transferDataOut(cert.transferData) : undefined,
    generationId: cert.generationId,
    validity: { notBefore: new Date(cert.notBefore), notAfter: new Date(cert.notAfter) },
    certificateMode: modeOf(cert),
  };
}

export function transferDataOut(t: TransferState): TransferData {
  return {
    transferMessage: t.transferMessage,
    rejectReason: t.rejectReason,
    transferDate: date(t.transferDate),
    acceptDate: date(t.acceptDate),
    rejectDate: date(t.rejectDate),
  };
}

function addCertificate(s: IotState, ctx: CallContext, pem: string, status: CertificateStatus, mode: CertificateMode, parsed: { certificateId: string; notBefore: Date; notAfter: Date }): CertRecord {
  const now = s.now();
  const cert: CertRecord = {
    certificateId: parsed.certificateId,
    certificatePem: pem,
    owner: ctx.account,
    status,
    certificateMode: mode,
    creationDate: now,
    lastModifiedDate: now,
    customerVersion: 1,
    generationId: randomUUID(),
    notBefore: parsed.notBefore.getTime(),
    notAfter: parsed.notAfter.getTime(),
  };
  s.region(ctx.region).certificates.add(cert);
  return cert;
}

export async function createKeysAndCertificate(s: IotState, ctx: CallContext, input: IotInputs['CreateKeysAndCertificate']): Promise<IotOutputs['CreateKeysAndCertificate']> {
  const key = await s.keys.take();
  const pem = await issueDeviceCertificate(key, new Date(s.now()));
  const parsed = parseCertificatePem(pem);
  const cert = addCertificate(s, ctx, parsed.pem, input.setAsActive ? 'ACTIVE' : 'INACTIVE', 'DEFAULT', parsed);
  return {
    certificateArn: s.certArn(ctx.region, cert),
    certificateId: cert.certificateId,
    certificatePem: cert.certificatePem,
    keyPair: { PublicKey: key.publicKeyPem, PrivateKey: key.privateKeyPem },
  };
}

export function registerCertificateWithoutCA(s: IotState, ctx: CallContext, input: IotInputs['RegisterCertificateWithoutCA']): IotOutputs['RegisterCertificateWithoutCA'] {
  const pem = required(input.certificatePem, 'certificatePem');
  maxLength(pem, 65536, 'certificatePem');
  const status = input.status === undefined ? 'INACTIVE' : statusOf(input.status, 'status');
  if (status === 'PENDING_TRANSFER' || status === 'PENDING_ACTIVATION') throw invalid(`A certificate cannot be registered with status ${status}.`);
  let parsed;
  try {
    parsed = parseCertificatePem(pem);
  } catch {
    throw invalid('The certificate is not a valid PEM-encoded X.509 certificate.');
  }
  const copies = s.region(ctx.region).certificates.copies(parsed.certificateId);
  // Multi-account registration (developer guide, "Using X.509 client certificates in multiple AWS
  // accounts with multi-account registration"): a certificate registered without a CA is SNI_ONLY and
  // may be registered once in each account of a region. A DEFAULT-mode one (issued by AWS IoT here)
  // exists once per region. A copy pending transfer to the caller counts as the caller's.
  const mine = copies.find((c) => c.owner === ctx.account || c.pendingTransferTo === ctx.account);
  if (mine || copies.some((c) => modeOf(c) === 'DEFAULT')) {
    const fields: Record<string, string> = mine?.owner === ctx.account ? { resourceId: mine.certificateId, resourceArn: s.certArn(ctx.region, mine) } : {};
    throw alreadyExists('The certificate is already provisioned or registered', fields);
  }
  const cert = addCertificate(s, ctx, parsed.pem, status, 'SNI_ONLY', parsed);
  return { certificateArn: s.certArn(ctx.region, cert), certificateId: cert.certificateId };
}

export function describeCertificate(s: IotState, ctx: CallContext, input: IotInputs['DescribeCertificate']): IotOutputs['DescribeCertificate'] {
  const id = certificateIdOf(input.certificateId);
  const cert = s.visibleCert(ctx, id);
  if (!cert) throw notFound(`The certificate ${id} does not exist.`);
  return { certificateDescription: describe(s, ctx.region, cert) };
}

/** Owned certificates plus those pending transfer to the caller (shown as PENDING_TRANSFER). */
export function listCertificates(s: IotState, ctx: CallContext, input: IotInputs['ListCertificates']): IotOutputs['ListCertificates'] {
  const size = pageSizeOf(input.pageSize, s.pageSize, 'pageSize');
  const dir = input.ascendingOrder ? 1 : -1;
  const certs = [...s.region(ctx.region).certificates.all()].filter((c) => c.owner === ctx.account || c.pendingTransferTo === ctx.account).sort((a, b) => dir * compare(certKey(a), certKey(b)));
  const { page, next } = paginate(certs, certKey, size, input.marker, 'marker', dir);
  return {
    certificates: page.map((c) => ({ certificateArn: s.certArn(ctx.region, c), certificateId: c.certificateId, status: c.status, certificateMode: modeOf(c), creationDate: new Date(c.creationDate) })),
    nextMarker: next,
  };
}

export function updateCertificate(s: IotState, ctx: CallContext, input: IotInputs['UpdateCertificate']): IotOutputs['UpdateCertificate'] {
  const id = certificateIdOf(input.certificateId);
  const newStatus = statusOf(input.newStatus, 'newStatus');
  const cert = s.visibleCert(ctx, id);
  if (!cert) throw notFound(`The certificate ${id} does not exist.`);
  // The API reference: setting PENDING_TRANSFER or PENDING_ACTIVATION "will result in an exception"; they are internal statuses.
  if (newStatus === 'PENDING_TRANSFER' || newStatus === 'PENDING_ACTIVATION') throw invalid(`The status ${newStatus} cannot be set by UpdateCertificate.`);
  if (cert.status === 'PENDING_TRANSFER') throw certState(`Cannot update the status of a certificate that is pending transfer. Id: ${id}`);
  if (cert.status === 'REVOKED' && newStatus !== 'REVOKED') throw certState(`A revoked certificate cannot change status. Id: ${id}`);
  if (cert.status === newStatus) return; // idempotent
  cert.status = newStatus;
  s.touch(cert);
}

export function deleteCertificate(s: IotState, ctx: CallContext, input: IotInputs['DeleteCertificate']): IotOutputs['DeleteCertificate'] {
  const id = certificateIdOf(input.certificateId);
  const cert = s.visibleCert(ctx, id);
  if (!cert) throw notFound(`The certificate ${id} does not exist.`);
  if (cert.status === 'PENDING_TRANSFER') throw certState(`Cannot delete a certificate that is pending transfer. Id: ${id}`);
  if (cert.status === 'ACTIVE') throw certState(`Certificate must be deactivated (not ACTIVE) before deletion. Id: ${id}`);
  const acct = s.account(ctx);
  const arn = s.certArn(ctx.region, cert);
  // forceDelete skips the policy check only: "if it is inactive and is not attached to an IoT thing".
  if ((acct.principalThings.get(arn)?.size ?? 0) > 0) throw deleteConflict(`Things must be detached before deletion (arn: ${arn})`);
  if ((acct.targetPolicies.get(arn)?.size ?? 0) > 0 && !input.forceDelete) throw deleteConflict(`Certificate policies must be detached before deletion (arn: ${arn})`);
  s.forgetPrincipal(ctx, arn);
  s.region(ctx.region).certificates.remove(cert);
}

/** Certificates the caller is transferring that are not yet accepted. */
export function listOutgoingCertificates(s: IotState, ctx: CallContext, input: IotInputs['ListOutgoingCertificates']): IotOutputs['ListOutgoingCertificates'] {
  const size = pageSizeOf(input.pageSize, s.pageSize, 'pageSize');
  const dir = input.ascendingOrder ? 1 : -1;
  const certs = [...s.region(ctx.region).certificates.all()].filter((c) => c.owner === ctx.account && c.pendingTransferTo !== undefined).sort((a, b) => dir * compare(certKey(a), certKey(b)));
  const { page, next } = paginate(certs, certKey, size, input.marker, 'marker', dir);
  return {
    outgoingCertificates: page.map((c) => ({
      certificateArn: s.certArn(ctx.region, c),
      certificateId: c.certificateId,
      transferredTo: c.pendingTransferTo!,
      transferDate: new Date(c.transferData?.transferDate ?? c.lastModifiedDate),
      transferMessage: c.transferData?.transferMessage,
      creationDate: new Date(c.creationDate),
    })),
    nextMarker: next,
  };
}
