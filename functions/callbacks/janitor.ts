import type { EventBridgeEvent } from 'aws-lambda';
import { logger } from '../../src/logger.js';
import { withMiddleware } from '../../src/middleware.js';
import { onExecutionEnded, type ExecutionEnd } from '../../src/transfer/janitor.js';

/**
 * Rule on the default bus: a certificate-transfer or transfer-batch execution ended ABORTED,
 * TIMED_OUT or FAILED. Withdraws, restores and settles what the workflow could not.
 */
export const handler = withMiddleware('janitor', async (event: EventBridgeEvent<'Step Functions Execution Status Change', ExecutionEnd>, context) => {
  const report = await onExecutionEnded(event.detail, { claimId: event.id, remainingMs: () => context.getRemainingTimeInMillis() });
  logger.info('Execution end handled', { executionArn: event.detail.executionArn, executionStatus: event.detail.status, ...report });
  return report;
});
