import { logger } from '../../src/logger.js';
import { withMiddleware } from '../../src/middleware.js';
import { handleDecisionEvent, type DecisionEvent } from '../../src/decisions/decision-event.js';
import { DetailType } from '../../src/events.js';
import { recordPong } from '../../src/ping.js';

/**
 * Rule on Certificate Transfer Accepted / Rejected: settle the waiting workflow as IoT shows it decided, or log why not.
 * A target kit's Pong (the answer to `cert-transfer doctor`'s Ping) takes the same path and is recorded for the doctor.
 */
export const handler = withMiddleware('decision', async (event: DecisionEvent, context) => {
  if (event['detail-type'] === DetailType.Pong) {
    const pong = await recordPong(event);
    if (pong.recorded) logger.info('Pong recorded', { ...pong, eventId: event.id });
    else logger.warn('Pong ignored', { ...pong, account: event.account, eventId: event.id });
    return pong;
  }
  const outcome = await handleDecisionEvent(event, { remainingMs: () => context.getRemainingTimeInMillis() });
  if (outcome.settled) logger.info('Decision delivered', { ...outcome, account: event.account, eventId: event.id });
  else logger.warn('Decision ignored', { ...outcome, account: event.account, detailType: event['detail-type'], eventId: event.id });
  return outcome;
});
