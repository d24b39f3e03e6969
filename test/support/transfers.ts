import { certArn, certId } from './certs.js';
import { SOURCE, TARGET } from './env.js';

/** What createTransfer takes for a new transfer of `certificateId` (a fresh one by default) to `targetAccount`. */
export function draft(certificateId = certId(), targetAccount = TARGET) {
  const transferId = crypto.randomUUID();
  return {
    transferId,
    certificateId,
    certificateArn: certArn(certificateId),
    sourceAccount: SOURCE,
    targetAccount,
    timeoutSeconds: 600,
    restoreOnFailure: true,
    executionArn: `arn:aws:states:us-east-1:${SOURCE}:execution:sm:${transferId}`,
  };
}
