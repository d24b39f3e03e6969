// The Cause of the certificate-transfer execution's Fail states: what happened to the transfer
// and what truly became of the certificate (Record Outcome returns it, CausePath shows it).
import { RESTORE_FAILED, type RestoreOutcome, type TransferOutcome } from '../types.js';

/**
 * The Cause of the execution's Fail state: what happened to the transfer, and
 * what truly became of the certificate.
 */
export function failCause(transferId: string, outcome: TransferOutcome, restore: RestoreOutcome | undefined): string {
  const what: Record<TransferOutcome, string> = {
    ACCEPTED: 'The target account accepted the certificate',
    REJECTED: 'The target account rejected the certificate',
    EXPIRED: 'The target account did not decide in time and the offer was withdrawn',
    CANCELLED: 'An operator cancelled the transfer',
    FAILED: 'The transfer failed',
  };
  return `${what[outcome]}; ${restoreSentence(transferId, restore)}`.slice(0, 4_000);
}

function restoreSentence(transferId: string, restore: RestoreOutcome | undefined): string {
  const missing = (restore?.notRestored ?? []).map((i) => `${i.kind} ${i.name}`);
  switch (restore?.status) {
    case 'RESTORED':
      return `the certificate was restored in the source account${restore.reactivated ? ' and re-activated' : ''}`;
    case 'PARTIAL':
      return `the certificate was restored${restore.reactivated ? ' and re-activated' : ''} except what no longer exists: ${missing.join(', ')}`;
    case 'SKIPPED':
      return 'restoreOnFailure was false: the certificate was left INACTIVE and detached';
    case 'NOT_NEEDED':
      return 'the certificate had not been changed';
    case 'ALREADY_ACCEPTED':
      return 'the target had accepted it';
    case 'FAILED':
      return `the certificate could NOT be fully restored (${restore.error ?? 'see the transfer record'}); the transfer is ${RESTORE_FAILED} and keeps its lock: repair with POST /transfers/${transferId}/restore`;
    default:
      return 'nothing was restored';
  }
}
