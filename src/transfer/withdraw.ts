// Withdrawing an offer: CancelCertificateTransfer, and what the certificate's state says when the
// offer was already over (accepted, or rejected by hand). Used by Cancel Pending Transfer, Restore and the janitor.
import { awsErrorName, TransferNotWithdrawn } from '../errors.js';
import { cancelTransfer, describeCertificate, RETRYABLE_IOT_ERRORS, type CertificateDescription } from '../iot.js';
import type { PendingTransferResult } from '../types.js';

/**
 * Withdraws an offer that may still be pending. Only two answers of
 * CancelCertificateTransfer mean "no longer pending": TransferAlreadyCompletedException
 * (the target decided first) and ResourceNotFoundException (the certificate is
 * gone). Then DescribeCertificate tells which: gone from this account means
 * accepted; back with a reject date, rejected by hand. Any other error, or IoT
 * still showing PENDING_TRANSFER, throws `TransferNotWithdrawn`: nothing may be
 * restored on a certificate that is still offered. Transient faults are rethrown
 * as they are, for the state machine's retriers.
 */
export async function withdrawPendingTransfer(certificateId: string): Promise<PendingTransferResult> {
  let result: 'CANCELLED' | 'ALREADY_COMPLETED';
  try {
    result = await cancelTransfer(certificateId);
  } catch (err) {
    const name = awsErrorName(err) ?? 'Error';
    if ((RETRYABLE_IOT_ERRORS as readonly string[]).includes(name)) throw err;
    if (name !== 'ResourceNotFoundException') {
      throw new TransferNotWithdrawn(`CancelCertificateTransfer failed with ${name}: ${(err as Error).message}; the offer may still be pending, so the certificate is not restored`, { cause: err });
    }
    result = 'ALREADY_COMPLETED';
  }
  if (result === 'CANCELLED') return { cancelled: true, alreadyAccepted: false };
  const cert = await describeCertificate(certificateId);
  if (cert === undefined) return { cancelled: false, alreadyAccepted: true };
  if (cert.status === 'PENDING_TRANSFER') {
    throw new TransferNotWithdrawn(`CancelCertificateTransfer answered that the transfer is over, but IoT still shows certificate ${certificateId} PENDING_TRANSFER; it is not restored`);
  }
  // Back in this account: the target may have rejected it (by hand, with no event) before the cancel.
  return { cancelled: false, alreadyAccepted: false, ...rejectionOf(cert) };
}

/** A certificate back in this account with a reject date after its transfer date was rejected by the target. */
export function rejectionOf(cert: CertificateDescription): Pick<PendingTransferResult, 'alreadyRejected' | 'rejectReason'> {
  const { rejectDate, transferDate } = cert.transferData ?? {};
  const rejected = rejectDate !== undefined && (transferDate === undefined || rejectDate >= transferDate);
  return rejected ? { alreadyRejected: true, rejectReason: cert.transferData?.rejectReason || undefined } : {};
}
