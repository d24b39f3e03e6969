import { withMiddleware } from '../../src/middleware.js';
import { notifyTarget } from '../../src/transfer/steps.js';
import type { WorkflowState } from '../../src/types.js';

interface NotifyEvent {
  state: WorkflowState;
  taskToken: string;
  transferId?: string;
}

/** State "Notify Target And Wait" (`lambda:invoke.waitForTaskToken`): the payload is the state plus the task token. */
export const handler = withMiddleware('notify-target', async (event: NotifyEvent) => {
  const offer = await notifyTarget({ ...event.state, taskToken: event.taskToken });
  return { offeredAt: offer.offeredAt, expiresAt: offer.expiresAt };
});
