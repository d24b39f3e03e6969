import { httpHandler, json, pathParam } from '../../src/http.js';
import { UUID } from '../../src/ids.js';
import { repairTransfer } from '../../src/transfer/restore.js';
import { publicTransfer } from '../../src/transfer/view.js';
import { RESTORE_FAILED } from '../../src/types.js';

/**
 * POST /transfers/{transferId}/restore: repair a RESTORE_FAILED transfer by
 * running its restore again from the stored snapshot. 200 with the transfer
 * once the certificate is whole (lock released, final status its outcome);
 * 502 with the new restore result while IoT still refuses; 409 naming the
 * status for any transfer that is not RESTORE_FAILED.
 */
export const handler = httpHandler('repair-transfer', async (event, context) => {
  const transferId = pathParam(event, 'transferId', UUID);
  const result = await repairTransfer(transferId, { remainingMs: () => context.getRemainingTimeInMillis() });
  if (result.repaired) return json(200, publicTransfer(result.transfer));
  return json(502, {
    error: 'RestoreIncomplete',
    message: `The certificate is still not whole: ${result.restore.error ?? 'see restore'}; fix the cause and repair again`,
    currentStatus: RESTORE_FAILED,
    restore: result.restore,
  });
});
