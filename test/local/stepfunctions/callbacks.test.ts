import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetExecutionHistoryCommand, SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { ACCOUNT, REGION, settled, startLocalSfn, type LocalSfn } from './helpers.js';

/** Starts the callback machine and returns the execution ARN and the token its Lambda received. */
async function offer(sfn: LocalSfn, arn: string, input: Record<string, unknown>): Promise<{ executionArn: string; token: string }> {
  const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify(input) }));
  const call = await sfn.calls.next((c) => c.executionArn === executionArn);
  expect(call.executionArn).toBe(executionArn);
  return { executionArn: executionArn!, token: (call.payload as { taskToken: string }).taskToken };
}

describe('Step Functions emulator: .waitForTaskToken and SendTask*', () => {
  let sfn: LocalSfn;
  let arn: string;

  beforeAll(async () => {
    sfn = await startLocalSfn(() => ({ offered: true }));
    arn = await sfn.create('callback', 'callback');
  });
  afterAll(() => sfn.close());

  it('hands the Lambda a real task token through $$.Task.Token and resumes on SendTaskSuccess', async () => {
    const { executionArn, token } = await offer(sfn, arn, { transferId: 't-1', timeoutSeconds: 60 });
    expect(token).toMatch(/^[A-Za-z0-9_-]{20,2048}$/);
    expect(token).not.toContain(ACCOUNT);

    await sfn.client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ accepted: true }) }));
    const done = await settled(sfn.client, executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ transferId: 't-1', timeoutSeconds: 60, decision: { accepted: true } });
  });

  it('gives every task its own token, also when executions run side by side', async () => {
    const a = await offer(sfn, arn, { transferId: 'a', timeoutSeconds: 60 });
    const b = await offer(sfn, arn, { transferId: 'b', timeoutSeconds: 60 });
    expect(a.token).not.toBe(b.token);
    await sfn.client.send(new SendTaskSuccessCommand({ taskToken: b.token, output: '{"accepted":false}' }));
    await sfn.client.send(new SendTaskSuccessCommand({ taskToken: a.token, output: '{"accepted":true}' }));
    expect((await settled(sfn.client, a.executionArn)).status).toBe('SUCCEEDED');
    expect(await settled(sfn.client, b.executionArn)).toMatchObject({ status: 'FAILED', error: 'TransferRejected' });
  });

  it('fails the task with SendTaskFailure error and cause, so Catch on a custom error routes it', async () => {
    const { executionArn, token } = await offer(sfn, arn, { transferId: 't-2', timeoutSeconds: 60 });
    await sfn.client.send(new SendTaskFailureCommand({ taskToken: token, error: 'TransferCancelled', cause: 'cancelled by operator' }));
    const done = await settled(sfn.client, executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toMatchObject({ outcome: 'CANCELLED', error: { Error: 'TransferCancelled', Cause: 'cancelled by operator' } });

    const { events } = await sfn.client.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events?.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails).toMatchObject({
      error: 'TransferCancelled',
      cause: 'cancelled by operator',
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
    });
  });

  it('times the task out after TimeoutSecondsPath with States.Timeout, which States.TaskFailed does not catch', async () => {
    const { executionArn } = await offer(sfn, arn, { transferId: 't-3', timeoutSeconds: 1 });
    const done = await settled(sfn.client, executionArn);
    expect(JSON.parse(done.output!)).toMatchObject({ outcome: 'EXPIRED', error: { Error: 'States.Timeout' } });
    const { events } = await sfn.client.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events?.find((e) => e.type === 'TaskScheduled')?.taskScheduledEventDetails?.timeoutInSeconds).toBe(1);
    expect(events?.find((e) => e.type === 'TaskTimedOut')?.taskTimedOutEventDetails?.error).toBe('States.Timeout');
  });

  it('fails the task when the Lambda invocation itself fails', async () => {
    const failing = await startLocalSfn(() => {
      throw new Error('notify is broken');
    });
    try {
      const machine = await failing.create('callback', 'callback');
      const { executionArn } = await failing.client.send(new StartExecutionCommand({ stateMachineArn: machine, input: '{"transferId":"x","timeoutSeconds":60}' }));
      const done = await settled(failing.client, executionArn!);
      const output = JSON.parse(done.output!) as { outcome: string; error: { Error: string; Cause: string } };
      expect(output.outcome).toBe('FAILED');
      expect(output.error.Error).toBe('Error');
      expect(JSON.parse(output.error.Cause)).toMatchObject({ errorType: 'Error', errorMessage: 'notify is broken' });
    } finally {
      await failing.close();
    }
  });

  it('fails the task with States.HeartbeatTimeout when no heartbeat comes in HeartbeatSeconds (not retried as States.TaskFailed)', async () => {
    const machine = await sfn.create('heartbeat', 'heartbeat');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: machine }));
    const call = await sfn.calls.next((c) => c.executionArn === executionArn);
    const done = await settled(sfn.client, executionArn!);
    expect(JSON.parse(done.output!)).toMatchObject({ outcome: 'NO_HEARTBEAT', error: { Error: 'States.HeartbeatTimeout' } });
    expect(sfn.log.filter((c) => c.executionArn === executionArn)).toHaveLength(1);
    await expect(sfn.client.send(new SendTaskHeartbeatCommand({ taskToken: call.taskToken! }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  describe('token semantics', () => {
    it('answers InvalidToken to a malformed, unknown or tampered token', async () => {
      await expect(sfn.client.send(new SendTaskSuccessCommand({ taskToken: 'garbage', output: '{}' }))).rejects.toMatchObject({ name: 'InvalidToken' });
      const { executionArn, token } = await offer(sfn, arn, { transferId: 't-4', timeoutSeconds: 60 });
      const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'AB' : 'AA');
      await expect(sfn.client.send(new SendTaskSuccessCommand({ taskToken: tampered, output: '{}' }))).rejects.toMatchObject({ name: 'InvalidToken' });
      await expect(sfn.client.send(new SendTaskHeartbeatCommand({ taskToken: 'x'.repeat(30) }))).rejects.toMatchObject({ name: 'InvalidToken' });
      await sfn.client.send(new StopExecutionCommand({ executionArn }));
    });

    it('answers InvalidToken to a token used from another account', async () => {
      const { executionArn, token } = await offer(sfn, arn, { transferId: 't-5', timeoutSeconds: 60 });
      const stranger = new SFNClient({ endpoint: sfn.url, region: REGION, credentials: { accessKeyId: '444444444444', secretAccessKey: 'x' } });
      await expect(stranger.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({ name: 'InvalidToken' });
      stranger.destroy();
      await sfn.client.send(new StopExecutionCommand({ executionArn }));
    });

    it('answers InvalidOutput when the output is not JSON, and leaves the task waiting', async () => {
      const { executionArn, token } = await offer(sfn, arn, { transferId: 't-6', timeoutSeconds: 60 });
      await expect(sfn.client.send(new SendTaskSuccessCommand({ taskToken: token, output: 'not json' }))).rejects.toMatchObject({ name: 'InvalidOutput' });
      await sfn.client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
      await sfn.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"accepted":true}' }));
      expect((await settled(sfn.client, executionArn)).status).toBe('SUCCEEDED');
    });

    it('answers TaskTimedOut once the task has been settled', async () => {
      const { executionArn, token } = await offer(sfn, arn, { transferId: 't-7', timeoutSeconds: 60 });
      await sfn.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"accepted":true}' }));
      await expect(sfn.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"accepted":true}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
      await expect(sfn.client.send(new SendTaskFailureCommand({ taskToken: token, error: 'Late' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
      await settled(sfn.client, executionArn);
    });

    it('answers TaskTimedOut once the task has timed out', async () => {
      const { executionArn, token } = await offer(sfn, arn, { transferId: 't-8', timeoutSeconds: 1 });
      await settled(sfn.client, executionArn);
      await expect(sfn.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
      await expect(sfn.client.send(new SendTaskHeartbeatCommand({ taskToken: token }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
    });

    it('answers TaskTimedOut once the execution was stopped, and records no task outcome', async () => {
      const { executionArn, token } = await offer(sfn, arn, { transferId: 't-9', timeoutSeconds: 60 });
      await sfn.client.send(new StopExecutionCommand({ executionArn }));
      await expect(sfn.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({ name: 'TaskTimedOut' });
      const { events } = await sfn.client.send(new GetExecutionHistoryCommand({ executionArn }));
      expect(events?.at(-1)?.type).toBe('ExecutionAborted');
      expect(events?.some((e) => e.type === 'TaskSucceeded' || e.type === 'TaskFailed')).toBe(false);
    });
  });
});
