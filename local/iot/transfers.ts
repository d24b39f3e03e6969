/**
 * Certificate transfer between accounts: TransferCertificate (the preconditions AWS checks) and the
 * decisions on it (accept, reject, cancel), with who may take which and the answer after it ended.
 */
import { certState, invalid, notFound, transferCompleted, transferConflict, unauthorized } from './errors.js';
import type { CertRecord, TransferOutcome, TransferRecord } from './registry.js';
import type { IotState } from './state.js';
import type { CallContext, IotInputs, IotOutputs } from './types.js';
import { certificateIdOf, maxLength, required } from './validation.js';

export function transferCertificate(s: IotState, ctx: CallContext, input: IotInputs['TransferCertificate']): IotOutputs['TransferCertificate'] {
  const id = certificateIdOf(input.certificateId);
  const target = required(input.targetAwsAccount, 'targetAwsAccount');
  if (!/^\d{12}$/.test(target)) throw invalid(`Invalid targetAwsAccount: ${target}. It must be a 12-digit AWS account id.`);
  maxLength(input.transferMessage, 128, 'transferMessage');
  const cert = s.ownedCert(ctx, id);
  if (target === ctx.account) throw invalid('The target account must be different from the account that owns the certificate.');
  switch (cert.status) {
    case 'ACTIVE':
      throw certState(`Certificate must be deactivated (not ACTIVE) before transfer. Id: ${id}`);
    case 'PENDING_TRANSFER':
      throw certState(`The certificate is already pending transfer. Id: ${id}`);
    case 'REVOKED':
      throw certState(`A revoked certificate cannot be transferred. Id: ${id}`);
    case 'PENDING_ACTIVATION':
      throw certState(`A certificate pending activation cannot be transferred. Id: ${id}`);
    default:
      break;
  }
  const acct = s.account(ctx);
  const arn = s.certArn(ctx.region, cert);
  if ((acct.targetPolicies.get(arn)?.size ?? 0) > 0) throw transferConflict("You can't transfer the certificate because authorization policies are still attached.");
  // A detach that has not propagated yet still counts as an attachment (API_DetachThingPrincipal:
  // "This call is asynchronous. It might take several seconds for the detachment to propagate").
  if ((acct.principalThings.get(arn)?.size ?? 0) > 0 || s.propagation.isLingering(s.scope(ctx), arn)) {
    throw transferConflict(`Things must be detached before transfer (arn: ${arn})`);
  }
  // Only an SNI_ONLY certificate can have a copy elsewhere (multi-account registration). The API
  // reference is silent on transferring it to an account that already holds it; an account never
  // holds the same certificate twice, so the transfer is refused as a conflict (README).
  if (s.region(ctx.region).certificates.visible(id, target)) {
    throw transferConflict(`The certificate is already registered in the target account (certificateId: ${id})`);
  }
  const now = s.now();
  cert.status = 'PENDING_TRANSFER';
  cert.pendingTransferTo = target;
  cert.transferData = { transferMessage: input.transferMessage, transferDate: now };
  cert.lastTransfer = { certificateId: id, source: ctx.account, target, state: 'PENDING', transferMessage: input.transferMessage, transferDate: now };
  s.touch(cert);
  return { transferredCertificateArn: arn };
}

/**
 * Resolves the certificate a transfer decision is about, or the error AWS
 * gives. Choices where the API reference is silent (documented in README):
 * - the wrong party of a pending transfer (the source accepting or
 *   rejecting, the target cancelling) gets UnauthorizedException: the
 *   reference says only the destination may accept/reject and only the
 *   source may cancel, and the caller can see the certificate;
 * - an account that is no party to it gets ResourceNotFoundException: in
 *   AWS another account's certificate is invisible;
 * - a party to a transfer that has ended (accepted, rejected, cancelled)
 *   gets TransferAlreadyCompletedException (410);
 * - the owner of a certificate that was never transferred gets
 *   InvalidRequestException.
 */
function pendingFor(s: IotState, ctx: CallContext, certificateId: string, role: 'target' | 'source'): CertRecord {
  const certificates = s.region(ctx.region).certificates;
  // The caller sees at most one copy; other accounts' copies (SNI_ONLY) are invisible to it.
  const cert = certificates.visible(certificateId, ctx.account);
  if (cert?.status === 'PENDING_TRANSFER' && cert.pendingTransferTo) {
    const party = role === 'target' ? cert.pendingTransferTo : cert.owner;
    if (party === ctx.account) return cert;
    if (cert.owner === ctx.account) throw unauthorized('Only the transfer destination account can accept or reject a certificate transfer.');
    throw unauthorized('Only the transfer source account can cancel a certificate transfer; use RejectCertificateTransfer.');
  }
  const ended = (t: TransferRecord | undefined): boolean => t !== undefined && t.state !== 'PENDING' && (t.source === ctx.account || t.target === ctx.account);
  if (certificates.copies(certificateId).some((c) => ended(c.lastTransfer))) throw transferCompleted();
  if (cert) throw invalid(`The certificate ${certificateId} is not pending transfer.`);
  throw notFound(`The certificate ${certificateId} does not exist.`);
}

export function acceptCertificateTransfer(s: IotState, ctx: CallContext, input: IotInputs['AcceptCertificateTransfer']): IotOutputs['AcceptCertificateTransfer'] {
  const id = certificateIdOf(input.certificateId);
  const cert = pendingFor(s, ctx, id, 'target');
  const source = cert.owner;
  // The certificate leaves the source account: nothing there may keep pointing at it.
  s.forgetPrincipal({ account: source, region: ctx.region }, s.certArn(ctx.region, cert));
  const now = s.now();
  cert.owner = ctx.account;
  cert.previousOwnedBy = source;
  cert.pendingTransferTo = undefined;
  cert.status = input.setAsActive ? 'ACTIVE' : 'INACTIVE';
  cert.transferData = { ...cert.transferData, acceptDate: now };
  s.touch(cert);
  endTransfer(cert, 'ACCEPTED', now);
}

export function rejectCertificateTransfer(s: IotState, ctx: CallContext, input: IotInputs['RejectCertificateTransfer']): IotOutputs['RejectCertificateTransfer'] {
  const id = certificateIdOf(input.certificateId);
  maxLength(input.rejectReason, 128, 'rejectReason');
  const cert = pendingFor(s, ctx, id, 'target');
  const now = s.now();
  cert.pendingTransferTo = undefined;
  cert.status = 'INACTIVE';
  cert.transferData = { ...cert.transferData, rejectReason: input.rejectReason, rejectDate: now };
  s.touch(cert);
  endTransfer(cert, 'REJECTED', now);
}

export function cancelCertificateTransfer(s: IotState, ctx: CallContext, input: IotInputs['CancelCertificateTransfer']): IotOutputs['CancelCertificateTransfer'] {
  const id = certificateIdOf(input.certificateId);
  const cert = pendingFor(s, ctx, id, 'source');
  const now = s.now();
  cert.pendingTransferTo = undefined;
  cert.status = 'INACTIVE';
  // TransferData has no cancel date; the message and transfer date stay, as a record of the attempt.
  s.touch(cert);
  endTransfer(cert, 'CANCELLED', now);
}

function endTransfer(cert: CertRecord, state: TransferOutcome, now: number): void {
  if (cert.lastTransfer) Object.assign(cert.lastTransfer, { state, endDate: now });
}
