import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutRuleCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { makeDeviceCertificate, startTestCloud, until, type TestCloud } from '../support/cloud.js';

const SOURCE = '111111111111';
const AUTO = '222222222222';
const HUMAN = '333333333333';

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud();
  // What an operator deploys to hear about every transfer workflow that ends.
  await t.events(SOURCE).send(
    new PutRuleCommand({
      Name: 'transfer-workflow-ended',
      EventPattern: JSON.stringify({
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [t.cloud.transferStateMachineArn], status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] },
      }),
    }),
  );
}, 180_000);
afterAll(async () => {
  await t?.stop();
});

/** The aws.states events about one execution that reached the source account's default bus, with the rules they matched. */
function statusEvents(executionArn: string) {
  return t.cloud.events
    .recentEvents({ account: SOURCE, busName: 'default' })
    .filter((r) => r.event.source === 'aws.states' && r.event.resources.includes(executionArn))
    .map((r) => ({ detail: r.event.detail as Record<string, unknown>, matchedRules: r.matchedRules, detailType: r.event['detail-type'] }));
}

describe('Step Functions execution status change events, end to end', () => {
  it('an operator rule on the default bus sees the transfer workflow end, as AWS sends it', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE));
    const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: AUTO });
    const executionArn = String(started.executionArn);

    const ended = await until('the SUCCEEDED status change', async () => statusEvents(executionArn).find((e) => e.detail.status === 'SUCCEEDED'));
    const execution = await t.sfn().send(new DescribeExecutionCommand({ executionArn }));
    expect(ended.detailType).toBe('Step Functions Execution Status Change');
    expect(ended.matchedRules).toContain('transfer-workflow-ended');
    expect(ended.detail).toMatchObject({
      executionArn,
      stateMachineArn: t.cloud.transferStateMachineArn,
      status: 'SUCCEEDED',
      startDate: execution.startDate!.getTime(),
      stopDate: execution.stopDate!.getTime(),
      input: execution.input,
      output: execution.output,
      outputDetails: { included: true },
      error: null,
    });
    // The start was published too, and the rule (on end statuses only) did not match it.
    const running = statusEvents(executionArn).find((e) => e.detail.status === 'RUNNING');
    expect(running?.matchedRules).not.toContain('transfer-workflow-ended');
  });

  it('StopExecution on a transfer awaiting a human decision publishes ABORTED with the stop cause', async () => {
    const cert = await makeDeviceCertificate(t.iot(SOURCE));
    const started = await t.api().startTransfer({ certificateId: cert.certificateId, targetAccount: HUMAN });
    await until('the record to await a decision', async () => (await t.api().getTransfer(String(started.transferId))).status === 'AWAITING_DECISION');
    const executionArn = String(started.executionArn);
    await t.sfn().send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stopped from the console' }));

    const aborted = await until('the ABORTED status change', async () => statusEvents(executionArn).find((e) => e.detail.status === 'ABORTED'));
    expect(aborted.matchedRules).toContain('transfer-workflow-ended');
    expect(aborted.detail).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'stopped from the console', output: null, outputDetails: null });
    // Nothing about the source account's executions reaches the target accounts' buses.
    expect(t.cloud.events.recentEvents({ account: HUMAN }).some((r) => r.event.source === 'aws.states')).toBe(false);
  });
});
