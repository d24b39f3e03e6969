/**
 * Failed target invocations as the EventBridge user guide describes them ("Using dead-letter
 * queues to process undelivered events", "How EventBridge retries delivering events",
 * "Monitoring Amazon EventBridge"): permission and missing-resource errors go to the
 * dead-letter queue without retries, other errors follow the target's RetryPolicy
 * (default 185 retries, 24 hours), and every delivery that fails for good is counted in the
 * rule's FailedInvocations.
 */
import { PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyFailure, DEFAULT_MAXIMUM_EVENT_AGE_SECONDS, DEFAULT_MAXIMUM_RETRY_ATTEMPTS, retryPolicyOf } from '../../../local/eventbridge/delivery.js';
import { EventBridgeModel, type EventBridgeModelOptions, type Target } from '../../../local/eventbridge/model.js';
import { errorOf, type Harness, SOURCE, startHarness } from './harness.js';

const ctx = { account: SOURCE, region: 'us-east-1' };
const functionArn = `arn:aws:lambda:us-east-1:${SOURCE}:function:decision-callback`;
const queueArn = `arn:aws:sqs:us-east-1:${SOURCE}:decision-dlq`;
const ruleArn = `arn:aws:events:us-east-1:${SOURCE}:rule/decisions`;

/** What the local cloud's invokeTarget throws when the function's resource policy does not admit the rule. */
const accessDenied = () => Object.assign(new Error(`The rule ${ruleArn} is not allowed to invoke ${functionArn}`), { name: 'AccessDeniedException' });

interface Kit {
  model: EventBridgeModel;
  attempts: number;
  send(): string;
}

/** A model with one rule on the default bus and one Lambda target; `fail(attempt)` decides each attempt. */
function kit(target: Partial<Target>, fail: (attempt: number) => unknown, options: EventBridgeModelOptions = {}): Kit {
  const k: Kit = {
    attempts: 0,
    model: new EventBridgeModel({
      retry: { baseDelayMs: 1, maxDelayMs: 2 },
      ...options,
      invokeTarget: (_t, _e, _r, c) => {
        k.attempts = c.attempt;
        const err = fail(c.attempt);
        if (err) throw err;
      },
    }),
    send() {
      const out = k.model.putEvents(ctx, { Entries: [{ Source: 'iot.certificate-transfer', DetailType: 'Certificate Transfer Accepted', Detail: '{"transferId":"t-1"}' }] });
      return (out.Entries[0] as { EventId: string }).EventId;
    },
  };
  k.model.putRule(ctx, { Name: 'decisions', EventPattern: JSON.stringify({ source: ['iot.certificate-transfer'] }) });
  k.model.putTargets(ctx, { Rule: 'decisions', Targets: [{ Id: 'callback', Arn: functionArn, ...target }] });
  return k;
}

const deliveryOf = (model: EventBridgeModel, eventId: string) => model.recentEvents().find((r) => r.eventId === eventId)!.deliveries[0];

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('errors EventBridge does not retry', () => {
  it('a permission error fails at once: one attempt, FailedInvocations, the dead-letter message with ERROR_CODE NO_PERMISSIONS', async () => {
    const k = kit({ DeadLetterConfig: { Arn: queueArn }, RetryPolicy: { MaximumRetryAttempts: 10 } }, () => accessDenied());
    const eventId = k.send();
    const metrics = await k.model.waitForMetric(ruleArn, 'FailedInvocations');
    await k.model.waitForIdle();

    expect(k.attempts).toBe(1);
    expect(metrics).toMatchObject({ TriggeredRules: 1, InvocationAttempts: 1, RetryInvocationAttempts: 0, FailedInvocations: 1, Invocations: 1 });
    expect(k.model.ruleMetrics(ruleArn)).toMatchObject({ InvocationsSentToDlq: 1, InvocationsFailedToBeSentToDlq: 0 });
    expect(deliveryOf(k.model, eventId)).toMatchObject({ status: 'failed', attempts: 1, errorCode: 'NO_PERMISSIONS', deadLetter: 'sent' });

    const [message] = k.model.deadLetterMessages(queueArn);
    expect(message.attributes).toEqual({
      RULE_ARN: ruleArn,
      TARGET_ARN: functionArn,
      ERROR_CODE: 'NO_PERMISSIONS',
      ERROR_MESSAGE: `AccessDeniedException: The rule ${ruleArn} is not allowed to invoke ${functionArn}`,
      RETRY_ATTEMPTS: '0',
    });
    expect(JSON.parse(message.body)).toMatchObject({ id: eventId, source: 'iot.certificate-transfer', 'detail-type': 'Certificate Transfer Accepted', detail: { transferId: 't-1' } });
  });

  it('a missing target (Lambda ResourceNotFoundException, 404) fails at once with NO_RESOURCE', async () => {
    const notFound = Object.assign(new Error(`Function not found: ${functionArn}`), { name: 'Lambda.ResourceNotFoundException', code: 'ResourceNotFoundException', status: 404 });
    const k = kit({ DeadLetterConfig: { Arn: queueArn } }, () => notFound);
    const eventId = k.send();
    await k.model.waitForMetric(ruleArn, 'InvocationsSentToDlq');
    expect(k.attempts).toBe(1);
    expect(deliveryOf(k.model, eventId)).toMatchObject({ errorCode: 'NO_RESOURCE', attempts: 1 });
    expect(k.model.deadLetterMessages()[0].attributes).toMatchObject({ ERROR_CODE: 'NO_RESOURCE', RETRY_ATTEMPTS: '0' });
  });

  it('without a DeadLetterConfig the event is dropped, and still counted in FailedInvocations', async () => {
    const k = kit({}, () => accessDenied());
    const eventId = k.send();
    await k.model.waitForMetric(ruleArn, 'FailedInvocations');
    await k.model.waitForIdle();
    expect(k.model.deadLetterMessages()).toEqual([]);
    expect(k.model.ruleMetrics(ruleArn)).toMatchObject({ FailedInvocations: 1, InvocationsSentToDlq: 0 });
    expect(deliveryOf(k.model, eventId).deadLetter).toBeUndefined();
  });

  it('a dead-letter queue that refuses the message counts InvocationsFailedToBeSentToDlq', async () => {
    const k = kit({ DeadLetterConfig: { Arn: queueArn } }, () => accessDenied(), {
      sendToDeadLetterQueue: () => {
        throw Object.assign(new Error('not allowed'), { name: 'AccessDenied' });
      },
    });
    const eventId = k.send();
    await k.model.waitForMetric(ruleArn, 'InvocationsFailedToBeSentToDlq');
    await k.model.waitForIdle();
    expect(k.model.ruleMetrics(ruleArn)).toMatchObject({ FailedInvocations: 1, InvocationsSentToDlq: 0, InvocationsFailedToBeSentToDlq: 1 });
    expect(deliveryOf(k.model, eventId).deadLetter).toBe('failed');
  });
});

describe('errors EventBridge retries, per the target’s RetryPolicy', () => {
  it('throttling is retried MaximumRetryAttempts times, then dead-lettered with EXHAUSTED_RETRY_CONDITION MaximumRetryAttempts', async () => {
    const throttled = Object.assign(new Error('Rate Exceeded.'), { name: 'Lambda.TooManyRequestsException', code: 'TooManyRequestsException', status: 429 });
    const k = kit({ DeadLetterConfig: { Arn: queueArn }, RetryPolicy: { MaximumRetryAttempts: 2 } }, () => throttled);
    const eventId = k.send();
    const metrics = await k.model.waitForMetric(ruleArn, 'InvocationsSentToDlq');
    expect(k.attempts).toBe(3);
    expect(metrics).toMatchObject({ InvocationAttempts: 3, RetryInvocationAttempts: 2, SuccessfulInvocationAttempts: 0, FailedInvocations: 1 });
    expect(deliveryOf(k.model, eventId)).toMatchObject({ status: 'failed', attempts: 3, errorCode: 'THROTTLING', exhaustedRetryCondition: 'MaximumRetryAttempts' });
    expect(k.model.deadLetterMessages()[0].attributes).toMatchObject({ ERROR_CODE: 'THROTTLING', EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts', RETRY_ATTEMPTS: '2' });
  });

  it('a retry due after MaximumEventAgeInSeconds is not made: EXHAUSTED_RETRY_CONDITION MaximumEventAgeInSeconds', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    // Each attempt takes 40 s of (fake) time: the first retry is inside the 60 s, the second is not.
    const k = kit(
      { DeadLetterConfig: { Arn: queueArn }, RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 60 } },
      () => {
        clock += 40_000;
        return new Error('socket hang up');
      },
      { now: () => new Date(clock) },
    );
    const eventId = k.send();
    await k.model.waitForMetric(ruleArn, 'InvocationsSentToDlq');
    expect(k.attempts).toBe(2);
    expect(deliveryOf(k.model, eventId)).toMatchObject({ attempts: 2, exhaustedRetryCondition: 'MaximumEventAgeInSeconds' });
    expect(k.model.deadLetterMessages()[0].attributes).toMatchObject({ EXHAUSTED_RETRY_CONDITION: 'MaximumEventAgeInSeconds', RETRY_ATTEMPTS: '1' });
  });

  it('a delivery that succeeds on a retry is not a failed invocation', async () => {
    const k = kit({ DeadLetterConfig: { Arn: queueArn } }, (attempt) => (attempt < 3 ? new Error('flaky') : undefined));
    k.send();
    await k.model.waitForMetric(ruleArn, 'Invocations');
    await k.model.waitForIdle();
    expect(k.model.ruleMetrics(ruleArn)).toMatchObject({ InvocationAttempts: 3, RetryInvocationAttempts: 2, SuccessfulInvocationAttempts: 1, Invocations: 1, FailedInvocations: 0 });
    expect(k.model.deadLetterMessages()).toEqual([]);
  });

  it('without RetryPolicy a target gets EventBridge’s defaults: 185 retries within 86,400 seconds', () => {
    expect([DEFAULT_MAXIMUM_RETRY_ATTEMPTS, DEFAULT_MAXIMUM_EVENT_AGE_SECONDS]).toEqual([185, 86_400]);
    expect(retryPolicyOf({ Id: 't', Arn: functionArn })).toEqual({ maxAttempts: 186, maxEventAgeMs: 86_400_000 });
    expect(retryPolicyOf({ Id: 't', Arn: functionArn, RetryPolicy: { MaximumEventAgeInSeconds: 60 } })).toEqual({ maxAttempts: 186, maxEventAgeMs: 60_000 });
    const k = kit({}, () => undefined, { retry: {} });
    const eventId = k.send();
    expect(deliveryOf(k.model, eventId).maxAttempts).toBe(186);
  });
});

describe('classifying what invokeTarget throws (dead-letter-queue page error codes)', () => {
  it.each([
    [{ name: 'AccessDeniedException' }, 'NO_PERMISSIONS', false],
    [{ name: 'Lambda.AccessDeniedException', status: 403 }, 'NO_PERMISSIONS', false],
    [{ name: 'Lambda.ResourceNotFoundException', code: 'ResourceNotFoundException', status: 404 }, 'NO_RESOURCE', false],
    [{ name: 'StateMachineDoesNotExist' }, 'NO_RESOURCE', false],
    [{ name: 'Lambda.TooManyRequestsException', code: 'TooManyRequestsException', status: 429 }, 'THROTTLING', true],
    [{ name: 'ThrottlingException' }, 'THROTTLING', true],
    [{ name: 'Sandbox.Timedout' }, 'TIMEOUT', true],
    [{ name: 'Lambda.ServiceException', code: 'ServiceException', status: 500 }, 'INTERNAL_ERROR', true],
    [{ name: 'Error' }, 'ERROR_FROM_TARGET', true],
    [{ name: 'Error', retryable: false }, 'ERROR_FROM_TARGET', false],
    [{ name: 'AccessDeniedException', retryable: true }, 'NO_PERMISSIONS', true],
  ])('%j → %s, retried: %s', (fields, code, retryable) => {
    const err = Object.assign(new Error('x'), fields);
    expect(classifyFailure(err)).toMatchObject({ code, retryable });
  });
});

describe('PutTargets: RetryPolicy limits (API reference: 0–185 attempts, 60–86,400 seconds)', () => {
  it.each([
    [{ MaximumRetryAttempts: 186 }, /maximumRetryAttempts.*less than or equal to 185/],
    [{ MaximumRetryAttempts: -1 }, /maximumRetryAttempts.*greater than or equal to 0/],
    [{ MaximumEventAgeInSeconds: 59 }, /maximumEventAgeInSeconds.*greater than or equal to 60/],
    [{ MaximumEventAgeInSeconds: 86_401 }, /maximumEventAgeInSeconds.*less than or equal to 86400/],
  ])('refuses %j with ValidationException', async (RetryPolicy, message) => {
    h = await startHarness();
    const eb = h.client(SOURCE);
    await eb.send(new PutRuleCommand({ Name: 'decisions', EventPattern: '{"source": ["iot.certificate-transfer"]}' }));
    const err = await errorOf(() => eb.send(new PutTargetsCommand({ Rule: 'decisions', Targets: [{ Id: 'callback', Arn: functionArn, RetryPolicy }] })));
    expect(err.name).toBe('ValidationException');
    expect(err.message).toMatch(message);
  });

  it('accepts the bounds', async () => {
    h = await startHarness();
    const eb = h.client(SOURCE);
    await eb.send(new PutRuleCommand({ Name: 'decisions', EventPattern: '{"source": ["iot.certificate-transfer"]}' }));
    const out = await eb.send(
      new PutTargetsCommand({
        Rule: 'decisions',
        Targets: [
          { Id: 'a', Arn: functionArn, RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 } },
          { Id: 'b', Arn: functionArn, RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 } },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
  });
});
