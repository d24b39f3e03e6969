import { logger } from '../../src/logger.js';
import { withMiddleware } from '../../src/middleware.js';
import { handleDecisionEvent, type DecisionEvent } from '../../src/decisions/events.js';

/** Rule on Certificate Transfer Accepted / Rejected: settle the waiting workflow as IoT shows it decided, or log why not. */
export const handler = withMiddleware('decision', async (event: DecisionEvent, context) => {
  const outcome = await handleDecisionEvent(event, { remainingMs: () => context.getRemainingTimeInMillis() });
  if (outcome.settled) logger.info('Decision delivered', { ...outcome, account: event.account, eventId: event.id });
  else logger.warn('Decision ignored', { ...outcome, account: event.account, detailType: event['detail-type'], eventId: event.id });
  return outcome;
});
