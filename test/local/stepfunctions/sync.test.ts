import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { deferred, settled, startLocalSfn, type LocalSfn } from './helpers.js';

describe('Step Functions emulator: states:startExecution.sync:2', () => {
  let sfn: LocalSfn;
  let parentArn: string;
  let childArn: string;
  let gate: ReturnType<typeof deferred<void>> | undefined;

  beforeAll(async () => {
    sfn = await startLocalSfn(async (call) => {
      if (gate) await gate.promise;
      return Number((call.payload as { value: number }).value) * 2;
    });
    childArn = await sfn.create('child', 'child');
    parentArn = await sfn.create('parent', 'parent');
  });
  afterAll(() => sfn.close());

  it('runs the child to completion and returns its parsed output, status and ARN', async () => {
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: parentArn, input: JSON.stringify({ childArn, value: 4 }) }));
    const done = await settled(sfn.client, executionArn!);
    expect(done.status).toBe('SUCCEEDED');
    const { child } = JSON.parse(done.output!) as { child: { childOutput: Record<string, unknown>; childStatus: string; childArn: string } };
    expect(child.childStatus).toBe('SUCCEEDED');
    expect(child.childArn).toMatch(/:execution:child:/);
    expect(child.childOutput).toEqual({ value: 4, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: executionArn, doubled: 8 });

    const childRun = await sfn.client.send(new DescribeExecutionCommand({ executionArn: child.childArn }));
    expect(JSON.parse(childRun.input!)).toEqual({ value: 4, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: executionArn });

    const { events } = await sfn.client.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events!.map((e) => e.type).slice(1, 7)).toEqual(['TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSubmitted', 'TaskSucceeded', 'TaskStateExited']);
    expect(events![2].taskScheduledEventDetails).toMatchObject({ resourceType: 'states', resource: 'startExecution.sync:2' });
    expect(JSON.parse(events![4].taskSubmittedEventDetails!.output!)).toMatchObject({ ExecutionArn: child.childArn });
  });

  it('fails the task with States.TaskFailed when the child fails, with the child description as cause', async () => {
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: parentArn, input: JSON.stringify({ childArn, value: 'fail' }) }));
    const done = await settled(sfn.client, executionArn!);
    expect(done.status).toBe('SUCCEEDED');
    const output = JSON.parse(done.output!) as { outcome: string; error: { Error: string; Cause: string } };
    expect(output.outcome).toBe('CHILD_FAILED');
    expect(output.error.Error).toBe('States.TaskFailed');
    expect(JSON.parse(output.error.Cause)).toMatchObject({ Status: 'FAILED', Error: 'ChildBroke', Cause: 'asked to fail' });
  });

  it('fails the task with the service error when the child machine does not exist', async () => {
    const missing = childArn.replace(/child$/, 'missing');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: parentArn, input: JSON.stringify({ childArn: missing, value: 1 }) }));
    const done = await settled(sfn.client, executionArn!);
    // States.TaskFailed matches any task error, so the parent's Catch takes it.
    expect(JSON.parse(done.output!)).toMatchObject({ outcome: 'CHILD_FAILED', error: { Error: 'StepFunctions.StateMachineDoesNotExistException' } });
  });

  it('stops the child when the parent is stopped', async () => {
    gate = deferred<void>();
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: parentArn, input: JSON.stringify({ childArn, value: 3 }) }));
    await sfn.calls.next((c) => c.stateMachineArn === childArn && (c.payload as { AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID?: string }).AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID === executionArn);
    const running = await sfn.client.send(new ListExecutionsCommand({ stateMachineArn: childArn, statusFilter: 'RUNNING' }));
    expect(running.executions).toHaveLength(1);
    await sfn.client.send(new StopExecutionCommand({ executionArn }));
    gate.resolve();
    gate = undefined;
    const child = await settled(sfn.client, running.executions![0].executionArn!);
    expect(child.status).toBe('ABORTED');
    expect((await settled(sfn.client, executionArn!)).status).toBe('ABORTED');
  });
});
