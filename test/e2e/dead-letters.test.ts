// Operations on the local cloud: events EventBridge cannot deliver and event invocations that
// fail after Lambda's retries reach the stack's dead-letter queue; the reconciler runs one at a time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { LambdaServiceError } from '../../local/lambda/errors.js';
import { startTestCloud, until, type TestCloud } from '../support/cloud.js';

const SOURCE = '111111111111';
const AUTO = '222222222222';
const QUEUE = `arn:aws:sqs:us-east-1:${SOURCE}:certificate-transfer-dead-letters-local`;

let t: TestCloud;
/** Invocations of the decision function per poisoned transfer id. */
const poisonedAttempts = new Map<string, number>();
let reconcilerGate: Promise<void> | undefined;
let reconcilersRunning = 0;
let reconcilersAtOnce = 0;

beforeAll(async () => {
  t = await startTestCloud({
    asyncRetryDelayMs: 20,
    intercept: async (fn, event, run) => {
      const detail = (event as { detail?: Record<string, unknown> }).detail ?? {};
      if (fn.name.endsWith('-decision') && String(detail.transferId).startsWith('poison-')) {
        poisonedAttempts.set(String(detail.transferId), (poisonedAttempts.get(String(detail.transferId)) ?? 0) + 1);
        throw Object.assign(new Error('the decision handler crashed'), { name: 'PoisonError' });
      }
      if (fn.name.endsWith('-requestTrigger') && String(detail.requestId).startsWith('unreachable-')) {
        // As Lambda answers when the function is gone: EventBridge does not retry it.
        throw new LambdaServiceError('ResourceNotFoundException', 404, `Function not found: ${fn.arn}`);
      }
      if (fn.name.endsWith('-reconciler') && reconcilerGate) {
        reconcilersRunning++;
        reconcilersAtOnce = Math.max(reconcilersAtOnce, reconcilersRunning);
        try {
          await reconcilerGate;
        } finally {
          reconcilersRunning--;
        }
      }
      return run();
    },
  });
}, 180_000);
afterAll(async () => {
  await t?.stop();
});

async function put(account: string, detailType: string, detail: unknown) {
  const bus = account === SOURCE ? 'certificate-transfer-local' : `arn:aws:events:us-east-1:${SOURCE}:event-bus/certificate-transfer-local`;
  const out = await t.events(account).send(new PutEventsCommand({ Entries: [{ EventBusName: bus, Source: 'iot.certificate-transfer', DetailType: detailType, Detail: JSON.stringify(detail) }] }));
  expect(out.FailedEntryCount).toBe(0);
}

describe('dead letters', () => {
  it("an event invocation that fails every attempt ends in the queue as Lambda's on-failure record, after 3 attempts", async () => {
    const transferId = `poison-${crypto.randomUUID()}`;
    await put(AUTO, 'Certificate Transfer Accepted', { transferId, certificateId: 'a'.repeat(64) });

    const message = await until('the failed decision in the dead-letter queue', async () =>
      t.cloud.queues
        .messages(QUEUE)
        .map((m) => ({ ...m, record: JSON.parse(m.body) as Record<string, Record<string, unknown>> }))
        .find((m) => m.record.requestPayload?.detail && (m.record.requestPayload.detail as Record<string, unknown>).transferId === transferId),
    );

    expect(poisonedAttempts.get(transferId)).toBe(3);
    expect(message.record.requestContext).toMatchObject({
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
      functionArn: expect.stringContaining(':function:certificate-transfer-local-decision'),
    });
    expect(message.record.responsePayload).toMatchObject({ errorType: 'PoisonError', errorMessage: 'the decision handler crashed' });
    expect(message.sentBy).toMatch(/:role\//);
  });

  it('an event EventBridge cannot deliver goes to the queue at once, admitted by the queue policy for its rule', async () => {
    const requestId = `unreachable-${crypto.randomUUID()}`;
    await put(SOURCE, 'Certificate Transfer Requested', { certificateId: 'b'.repeat(64), targetAccount: AUTO, requestId });

    const message = await until('the undelivered Requested event in the dead-letter queue', async () => t.cloud.queues.messages(QUEUE).find((m) => m.body.includes(requestId)));

    expect(message.sentBy).toBe('events.amazonaws.com');
    expect(message.attributes).toMatchObject({
      RULE_ARN: `arn:aws:events:us-east-1:${SOURCE}:rule/certificate-transfer-local/certificate-transfer-local-requestTrigger-rule-1`,
      ERROR_CODE: 'NO_RESOURCE',
      RETRY_ATTEMPTS: '0',
    });
    expect(t.cloud.queues.depth(QUEUE)).toBeGreaterThanOrEqual(1);
  });

  it('a queue refuses EventBridge for a rule its policy does not name', () => {
    expect(() => t.cloud.queues.send(QUEUE, { body: '{}', attributes: {} }, { service: 'events.amazonaws.com', sourceArn: `arn:aws:events:us-east-1:${SOURCE}:rule/some-other-rule` })).toThrow(
      /denied/,
    );
  });
});

describe('the reconciler', () => {
  it('runs one at a time: ticks while it runs are throttled and run after it', async () => {
    let release!: () => void;
    reconcilerGate = new Promise<void>((r) => (release = r));
    const arn = t.cloud.stacks[0].functions.reconciler;
    try {
      t.cloud.events.fireSchedules();
      await until('a reconciler run to start', async () => reconcilersRunning > 0);
      t.cloud.events.fireSchedules();
      t.cloud.events.fireSchedules();

      await expect(t.cloud.runtime.invoke(arn, { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} })).rejects.toMatchObject({ code: 'TooManyRequestsException' });
      expect(reconcilersAtOnce).toBe(1);
    } finally {
      release();
      reconcilerGate = undefined;
    }
    expect(reconcilersAtOnce).toBe(1);
  });
});
