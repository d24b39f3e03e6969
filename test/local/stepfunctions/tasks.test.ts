import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetExecutionHistoryCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { TaskFailure } from '../../../local/stepfunctions/model.js';
import { TransferConflictException, settled, startLocalSfn, type LocalSfn } from './helpers.js';

describe('Step Functions emulator: Task resources, Retry and Catch', () => {
  let sfn: LocalSfn;
  let conflictsLeft = 0;

  beforeAll(async () => {
    sfn = await startLocalSfn(
      (call) => {
        if (call.lambda?.name === 'transfer') {
          if (conflictsLeft > 0) {
            conflictsLeft -= 1;
            throw new TransferConflictException('policies still attached');
          }
          return { transferred: true };
        }
        if (call.lambda?.name === 'describe') return { id: (call.payload as { certificateId: string }).certificateId, status: 'ACTIVE' };
        if (call.lambda?.name === 'deactivate') throw new TaskFailure('Lambda.TooManyRequestsException', 'Rate exceeded');
        return null;
      },
      { retryIntervalOverrides: { 'Transfer Certificate': 0 } },
    );
  });
  afterAll(() => sfn.close());

  it('retries a custom error thrown by the Lambda, then succeeds', async () => {
    const arn = await sfn.create('retry-ok', 'retry-catch');
    conflictsLeft = 2;
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"certificateId":"c1"}' }));
    const done = await settled(sfn.client, executionArn!);
    expect(done.status).toBe('SUCCEEDED');
    expect(sfn.log.filter((c) => c.executionArn === executionArn)).toHaveLength(3);
    const { events } = await sfn.client.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events?.filter((e) => e.type === 'LambdaFunctionFailed').map((e) => e.lambdaFunctionFailedEventDetails?.error)).toEqual(['TransferConflictException', 'TransferConflictException']);
    expect(events?.filter((e) => e.type === 'LambdaFunctionScheduled')).toHaveLength(3);
  });

  it('catches the custom error once retries are exhausted, with the Lambda error JSON as cause', async () => {
    const arn = await sfn.create('retry-caught', 'retry-catch');
    conflictsLeft = 10;
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"certificateId":"c2"}' }));
    const done = await settled(sfn.client, executionArn!);
    expect(done.status).toBe('SUCCEEDED');
    const output = JSON.parse(done.output!) as { outcome: string; error: { Error: string; Cause: string } };
    expect(output.outcome).toBe('ROLLED_BACK');
    expect(output.error.Error).toBe('TransferConflictException');
    const cause = JSON.parse(output.error.Cause) as { errorMessage: string; errorType: string; trace: string[] };
    expect(Object.keys(cause)).toEqual(['errorMessage', 'errorType', 'trace']);
    expect(cause).toMatchObject({ errorMessage: 'policies still attached', errorType: 'TransferConflictException' });
    expect(cause.trace[0]).toContain('TransferConflictException');
    conflictsLeft = 0;
  });

  it('returns the Lambda Invoke response shape for arn:aws:states:::lambda:invoke', async () => {
    const arn = await sfn.create('lambda-invoke', 'lambda-invoke');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"certificateId":"abc"}' }));
    const done = await settled(sfn.client, executionArn!);
    expect(JSON.parse(done.output!)).toEqual({ certificateId: 'abc', described: { certificate: { id: 'abc', status: 'ACTIVE' }, statusCode: 200 } });

    const { events } = await sfn.client.send(new GetExecutionHistoryCommand({ executionArn }));
    const scheduled = events?.find((e) => e.type === 'TaskScheduled')?.taskScheduledEventDetails;
    expect(scheduled).toMatchObject({ resourceType: 'lambda', resource: 'invoke', region: 'us-east-1' });
    expect(JSON.parse(scheduled!.parameters!)).toEqual({ FunctionName: 'arn:aws:lambda:us-east-1:111111111111:function:describe:live', Payload: { certificateId: 'abc' } });
    const succeeded = JSON.parse(events!.find((e) => e.type === 'TaskSucceeded')!.taskSucceededEventDetails!.output!) as Record<string, unknown>;
    expect(succeeded).toMatchObject({ ExecutedVersion: '$LATEST', StatusCode: 200, Payload: { id: 'abc', status: 'ACTIVE' } });
  });

  it('hands the runner a parsed Lambda target and the payload', async () => {
    const arn = await sfn.create('lambda-invoke-target', 'lambda-invoke');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"certificateId":"t"}' }));
    await settled(sfn.client, executionArn!);
    const calls = sfn.log.filter((c) => c.executionArn === executionArn);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      kind: 'lambda:invoke',
      pattern: 'request-response',
      stateName: 'Describe Certificate',
      lambda: { account: '111111111111', region: 'us-east-1', name: 'describe', qualifier: 'live' },
      payload: { certificateId: 't' },
      taskToken: undefined,
    });
  });

  it('fails the execution with a runner TaskFailure error and cause when nothing catches it', async () => {
    const arn = await sfn.create('history-throttled', 'history');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn }));
    const done = await settled(sfn.client, executionArn!);
    expect(done).toMatchObject({ status: 'FAILED', error: 'Lambda.TooManyRequestsException', cause: 'Rate exceeded' });
  });
});
