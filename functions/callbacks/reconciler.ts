import { logger } from '../../src/logger.js';
import { withMiddleware } from '../../src/middleware.js';
import { reconcile } from '../../src/decisions/reconcile.js';
import { recordReconcilerRun } from '../../src/ping.js';

/** Scheduled: settles transfers accepted or rejected by hand, which emit no event, and sends lost cancels again. */
export const handler = withMiddleware('reconciler', async (_event: unknown, context) => {
  const report = await reconcile({ remainingMs: () => context.getRemainingTimeInMillis() });
  if (report.accepted || report.rejected || report.late || report.deferred || report.cancelsResent) logger.info('Reconciled', { ...report });
  // Only a finished run counts: `cert-transfer doctor` reads this to tell that the schedule runs.
  await recordReconcilerRun();
  return report;
});
