import { logger } from '../../src/logger.js';
import { withMiddleware } from '../../src/middleware.js';
import { handleRequestedEvent, type RequestedEvent } from '../../src/trigger.js';

/** Rule on Certificate Transfer Requested (this account only): start the transfer, or say why not. */
export const handler = withMiddleware('requested', async (event: RequestedEvent) => {
  const result = await handleRequestedEvent(event);
  if (result.outcome === 'STARTED' || result.outcome === 'DUPLICATE') logger.info('Transfer requested by event', { ...result, eventId: event.id });
  else logger.warn('Transfer request refused', { ...result, account: event.account, eventId: event.id });
  return result;
});
