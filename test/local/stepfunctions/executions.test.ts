import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  StopExecutionCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { ACCOUNT, REGION, ROLE, definition, settled, startLocalSfn, type LocalSfn } from './helpers.js';

describe('Step Functions emulator: state machines and executions', () => {
  let sfn: LocalSfn;
  let waitArn: string;

  beforeAll(async () => {
    // Lambdas of the fixtures: "double" doubles, "notify" returns nothing (callback tasks wait).
    sfn = await startLocalSfn((call) => (call.lambda?.name === 'double' ? Number((call.payload as { value: number }).value) * 2 : null));
    waitArn = await sfn.create('wait-for-token', 'wait-for-token');
  });
  afterAll(() => sfn.close());

  it('creates, describes, lists, updates and deletes a state machine', async () => {
    const arn = await sfn.create('crud', 'child');
    expect(arn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:crud`);

    const described = await sfn.client.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    expect(described).toMatchObject({ name: 'crud', status: 'ACTIVE', type: 'STANDARD', roleArn: ROLE, definition: definition('child') });
    expect(described.creationDate).toBeInstanceOf(Date);

    const listed = await sfn.client.send(new ListStateMachinesCommand({}));
    expect(listed.stateMachines?.map((s) => s.name)).toContain('crud');

    const updated = await sfn.client.send(new UpdateStateMachineCommand({ stateMachineArn: arn, definition: definition('history') }));
    expect(updated.updateDate).toBeInstanceOf(Date);
    expect((await sfn.client.send(new DescribeStateMachineCommand({ stateMachineArn: arn }))).definition).toBe(definition('history'));

    await sfn.client.send(new DeleteStateMachineCommand({ stateMachineArn: arn }));
    await expect(sfn.client.send(new DescribeStateMachineCommand({ stateMachineArn: arn }))).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
  });

  it('keeps state per account: another account does not see the machine', async () => {
    const other = new SFNClient({ endpoint: sfn.url, region: REGION, credentials: { accessKeyId: '222222222222', secretAccessKey: 'x' } });
    const listed = await other.send(new ListStateMachinesCommand({}));
    other.destroy();
    expect(listed.stateMachines).toEqual([]);
  });

  it('refuses an invalid definition, name or role', async () => {
    const bad = JSON.stringify({ StartAt: 'Missing', States: { A: { Type: 'Pass', End: true } } });
    await expect(sfn.client.send(new CreateStateMachineCommand({ name: 'bad', definition: bad, roleArn: ROLE }))).rejects.toMatchObject({ name: 'InvalidDefinition' });
    await expect(sfn.client.send(new CreateStateMachineCommand({ name: 'bad', definition: '{not json', roleArn: ROLE }))).rejects.toMatchObject({ name: 'InvalidDefinition' });
    const jsonata = JSON.stringify({ QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', End: true } } });
    await expect(sfn.client.send(new CreateStateMachineCommand({ name: 'jsonata', definition: jsonata, roleArn: ROLE }))).rejects.toMatchObject({
      name: 'InvalidDefinition',
      message: expect.stringContaining('JSONata'),
    });
    const variables = JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Assign: { x: 1 }, End: true } } });
    await expect(sfn.client.send(new CreateStateMachineCommand({ name: 'variables', definition: variables, roleArn: ROLE }))).rejects.toMatchObject({
      name: 'InvalidDefinition',
      message: expect.stringContaining('Assign'),
    });
    await expect(sfn.client.send(new CreateStateMachineCommand({ name: 'has space', definition: definition('child'), roleArn: ROLE }))).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(sfn.client.send(new CreateStateMachineCommand({ name: 'ok', definition: definition('child'), roleArn: 'not-an-arn' }))).rejects.toMatchObject({ name: 'InvalidArn' });
  });

  it('starts an execution, describes it running, and lists it with a status filter', async () => {
    const start = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: waitArn, name: 'run-1', input: '{"a":1}' }));
    expect(start.executionArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:wait-for-token:run-1`);
    expect(start.startDate).toBeInstanceOf(Date);

    const running = await sfn.client.send(new DescribeExecutionCommand({ executionArn: start.executionArn }));
    expect(running).toMatchObject({ status: 'RUNNING', name: 'run-1', input: '{"a":1}', stateMachineArn: waitArn });
    expect(running.stopDate).toBeUndefined();

    const listed = await sfn.client.send(new ListExecutionsCommand({ stateMachineArn: waitArn, statusFilter: 'RUNNING' }));
    expect(listed.executions?.map((e) => e.name)).toContain('run-1');

    const stop = await sfn.client.send(new StopExecutionCommand({ executionArn: start.executionArn, error: 'Operator', cause: 'test' }));
    expect(stop.stopDate).toBeInstanceOf(Date);
    const aborted = await sfn.client.send(new DescribeExecutionCommand({ executionArn: start.executionArn }));
    expect(aborted).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'test' });
    expect(aborted.stopDate!.getTime()).toBeGreaterThanOrEqual(aborted.startDate!.getTime());

    const stillRunning = await sfn.client.send(new ListExecutionsCommand({ stateMachineArn: waitArn, statusFilter: 'RUNNING' }));
    expect(stillRunning.executions?.map((e) => e.name)).not.toContain('run-1');
  });

  it('is idempotent for the same name and input while running, and refuses a different input', async () => {
    const first = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: waitArn, name: 'idem', input: '{"x":1}' }));
    const again = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: waitArn, name: 'idem', input: '{"x":1}' }));
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());

    await expect(sfn.client.send(new StartExecutionCommand({ stateMachineArn: waitArn, name: 'idem', input: '{"x":2}' }))).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });

    // Once closed, the name is taken for good (AWS: 90 days), whatever the input.
    await sfn.client.send(new StopExecutionCommand({ executionArn: first.executionArn }));
    await expect(sfn.client.send(new StartExecutionCommand({ stateMachineArn: waitArn, name: 'idem', input: '{"x":1}' }))).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('creates one execution when the same start arrives twice at once', async () => {
    const send = () => sfn.client.send(new StartExecutionCommand({ stateMachineArn: waitArn, name: 'twice', input: '{}' }));
    const [a, b] = await Promise.all([send(), send()]);
    expect(a.executionArn).toBe(b.executionArn);
    const listed = await sfn.client.send(new ListExecutionsCommand({ stateMachineArn: waitArn }));
    expect(listed.executions?.filter((e) => e.name === 'twice')).toHaveLength(1);
    await sfn.client.send(new StopExecutionCommand({ executionArn: a.executionArn }));
  });

  it('validates execution names and input, and answers unknown ARNs', async () => {
    await expect(sfn.client.send(new StartExecutionCommand({ stateMachineArn: waitArn, name: 'x'.repeat(81) }))).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(sfn.client.send(new StartExecutionCommand({ stateMachineArn: waitArn, input: '{oops' }))).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
    await expect(sfn.client.send(new StartExecutionCommand({ stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:nope` }))).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(sfn.client.send(new DescribeExecutionCommand({ executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:wait-for-token:nope` }))).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
    });
    await expect(sfn.client.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' }))).rejects.toMatchObject({ name: 'InvalidArn' });
  });

  it('defaults the name to a UUID and the input to {}, and runs to SUCCEEDED', async () => {
    const arn = await sfn.create('double', 'child');
    const start = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"value":21}' }));
    expect(start.executionArn).toMatch(/:execution:double:[0-9a-f-]{36}$/);
    const done = await settled(sfn.client, start.executionArn!);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ value: 21, doubled: 42 });
  });

  it('pages ListExecutions with maxResults and nextToken, newest first', async () => {
    const arn = await sfn.create('paged', 'child');
    for (const n of [1, 2, 3]) {
      const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, name: `p${n}`, input: JSON.stringify({ value: n }) }));
      await settled(sfn.client, executionArn!);
    }
    const page1 = await sfn.client.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 2 }));
    expect(page1.executions?.map((e) => e.name)).toEqual(['p3', 'p2']);
    expect(page1.nextToken).toBeTruthy();
    const page2 = await sfn.client.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: 2, nextToken: page1.nextToken }));
    expect(page2.executions?.map((e) => e.name)).toEqual(['p1']);
    expect(page2.nextToken).toBeUndefined();
  });

  it('runs EXPRESS machines with StartSyncExecution and refuses it for STANDARD', async () => {
    const express = await sfn.create('express-double', 'child', 'EXPRESS');
    const out = await sfn.client.send(new StartSyncExecutionCommand({ stateMachineArn: express, input: '{"value":5}' }));
    expect(out.status).toBe('SUCCEEDED');
    expect(JSON.parse(out.output!)).toMatchObject({ doubled: 10 });
    expect(out.executionArn).toContain(':express:express-double:');
    await expect(sfn.client.send(new StartSyncExecutionCommand({ stateMachineArn: waitArn }))).rejects.toMatchObject({ name: 'StateMachineTypeNotSupported' });
  });

  it('fails an execution at a Fail state with its Error and Cause', async () => {
    const arn = await sfn.create('child-fails', 'child');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{"value":"fail"}' }));
    const done = await settled(sfn.client, executionArn!);
    expect(done).toMatchObject({ status: 'FAILED', error: 'ChildBroke', cause: 'asked to fail' });
    expect(done.output).toBeUndefined();
  });

  it('times an execution out at its top-level TimeoutSeconds', async () => {
    const arn = await sfn.create('execution-timeout', 'execution-timeout');
    const { executionArn } = await sfn.client.send(new StartExecutionCommand({ stateMachineArn: arn }));
    const done = await settled(sfn.client, executionArn!);
    expect(done.status).toBe('TIMED_OUT');
    expect(done.stopDate!.getTime() - done.startDate!.getTime()).toBeGreaterThanOrEqual(900);
  });
});
