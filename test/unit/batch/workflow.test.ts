import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import aslValidator from 'asl-validator';
import { loadServerlessStack } from '../../../local/serverless/stack.js';
import { resolveIntrinsics } from '../../../local/cloudformation/intrinsics.js';
import { StepFunctionsModel, type TaskCall } from '../../../local/stepfunctions/model.js';

/*
 * The real transfer-batch.asl.yml, as serverless.yml wires it, run by the
 * local Step Functions emulator. The Lambda steps are played by the test; the
 * certificate-transfer child is a stand-in machine of the same name that ends
 * ACCEPTED, or fails like the real one does (TransferRejected) when told to.
 */
const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const ctx = { account: ACCOUNT, region: REGION };
const fn = (key: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:certificate-transfer-test-${key}`;

const stack = loadServerlessStack('serverless.yml', { stage: 'test' });
const raw = stack.stateMachines.find((m) => m.key === 'transferBatch')!.definition;
const resources = Object.fromEntries(['batchPrepare', 'batchRecordFailure', 'batchSummarize'].map((k) => [k, { ref: k, attributes: { Arn: fn(k) } }]));
const definition = resolveIntrinsics(raw, { accountId: ACCOUNT, region: REGION, resources }) as { States: Record<string, Record<string, unknown>> };

const child = {
  StartAt: 'Decide',
  States: {
    Decide: { Type: 'Choice', Choices: [{ Variable: '$.certificateId', StringMatches: 'bbbb*', Next: 'Rejected' }], Default: 'Accepted' },
    Accepted: { Type: 'Succeed' },
    Rejected: { Type: 'Fail', Error: 'TransferRejected', Cause: 'The target account rejected the certificate' },
  },
};

class NamedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

type Step = (payload: Record<string, unknown>) => unknown;
let steps: Record<string, Step> = {};
const calls: TaskCall[] = [];
let model: StepFunctionsModel;
let batchArn: string;

beforeAll(async () => {
  model = new StepFunctionsModel({
    invokeTask: async (call) => {
      calls.push(call);
      const step = steps[call.lambda!.name.replace('certificate-transfer-test-', '')];
      return step(call.payload as Record<string, unknown>);
    },
    retryIntervalOverrides: new Proxy({}, { get: () => 1, has: () => true }) as Record<string, number>,
  });
  await model.createStateMachine(ctx, { name: 'certificate-transfer-test', definition: JSON.stringify(child), roleArn: `arn:aws:iam::${ACCOUNT}:role/r` });
  ({ stateMachineArn: batchArn } = await model.createStateMachine(ctx, { name: 'certificate-transfer-batch-test', definition: JSON.stringify(definition), roleArn: `arn:aws:iam::${ACCOUNT}:role/r` }));
});
afterAll(async () => {
  await model.shutdown();
});

const id = (c: string) => c.repeat(64);

/** The prepare step as the real one answers: the transfer id and the child's input. */
const prepare: Step = (p) => {
  const certificateId = String(p.certificateId);
  if (certificateId.startsWith('0')) throw new NamedError('CertificateNotFound', `Certificate ${certificateId} was not found in account ${ACCOUNT}`);
  return { transferId: `t-${certificateId.slice(0, 8)}-${Math.random().toString(16).slice(2, 8)}`, input: { certificateId }, waitSeconds: 3600 };
};

async function runBatch(certificateIds: string[], maxConcurrency = 10) {
  calls.length = 0;
  const batchId = crypto.randomUUID();
  const { executionArn } = await model.startExecution(ctx, {
    stateMachineArn: batchArn,
    name: batchId,
    input: JSON.stringify({ batchId, certificateIds, maxConcurrency, request: { targetAccount: '222222222222', timeoutSeconds: 600, restoreOnFailure: true } }),
  });
  const done = await model.waitForExecution(executionArn);
  const detail = model.getExecution(executionArn)!;
  const called = (key: string) => calls.filter((c) => c.lambda?.name.endsWith(key)).map((c) => c.payload as Record<string, unknown>);
  return { done, detail, called, batchId, executionArn };
}

describe('transfer-batch.asl.yml', () => {
  it('is valid ASL with an explicit timeout and the standard Lambda retrier (FULL jitter) on every Lambda task', () => {
    expect(aslValidator(definition).isValid).toBe(true);
    const tasks = { ...definition.States, ...((definition.States['Transfer Each Certificate'].ItemProcessor as { States: Record<string, Record<string, unknown>> }).States) };
    const entries = Object.entries(tasks).filter(([, s]) => s.Type === 'Task');
    expect(entries.map(([n]) => n).sort()).toEqual(['Prepare Transfer', 'Record Item Failure', 'Run Transfer', 'Summarize Batch']);
    for (const [name, task] of entries) {
      expect(task.TimeoutSeconds ?? task.TimeoutSecondsPath, name).toBeDefined();
      const retriers = task.Retry as { ErrorEquals: string[]; JitterStrategy?: string }[];
      expect(retriers.length, name).toBeGreaterThan(0);
      for (const r of retriers) expect(r.JitterStrategy, `${name} ${r.ErrorEquals.join()}`).toBe('FULL');
      if (String(task.Resource).startsWith('arn:aws:lambda:')) {
        expect(retriers.find((r) => r.ErrorEquals.includes('Lambda.TooManyRequestsException'))?.ErrorEquals, name)
          .toEqual(['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException']);
      }
    }
    const run = tasks['Run Transfer'];
    expect(run).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: { StateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:certificate-transfer-test`, 'Name.$': '$.prepared.transferId' },
    });
    expect(definition.States['Transfer Each Certificate']).toMatchObject({ Type: 'Map', MaxConcurrencyPath: '$.maxConcurrency', ResultPath: null });
  });

  it('accept: every certificate is prepared, transferred by a child named after its transfer, and summarized', async () => {
    const children: string[] = [];
    steps = { batchPrepare: (p) => { const r = prepare(p) as { transferId: string }; children.push(r.transferId); return r; }, batchSummarize: () => ({ status: 'COMPLETED' }) };

    const { done, called, detail, batchId } = await runBatch([id('a'), id('c'), id('d')]);

    expect(done.status).toBe('SUCCEEDED');
    expect(called('batchPrepare').map((p) => p.certificateId).sort()).toEqual([id('a'), id('c'), id('d')]);
    expect(called('batchPrepare')[0]).toMatchObject({ batchId, request: { targetAccount: '222222222222' }, batchExecutionArn: expect.stringContaining(batchId) });
    expect(called('batchRecordFailure')).toHaveLength(0);
    expect(called('batchSummarize')).toEqual([expect.objectContaining({ batchId })]);
    const started = model.allExecutions({ account: ACCOUNT, region: REGION }).filter((e) => e.stateMachineName === 'certificate-transfer-test').map((e) => e.name);
    expect(started).toEqual(expect.arrayContaining(children));
    const entered = detail.history.filter((e) => e.type.endsWith('StateEntered')).map((e) => (e.stateEnteredEventDetails as { name: string }).name);
    expect(entered[0]).toBe('Transfer Each Certificate');
    expect(entered.slice(-3)).toEqual(['Summarize Batch', 'Batch Failed?', 'Batch Completed']);
  });

  it('a certificate that cannot be prepared (404) is recorded with its error and the batch goes on', async () => {
    steps = { batchPrepare: prepare, batchRecordFailure: () => ({ recorded: 'NOT_STARTED' }), batchSummarize: () => ({ status: 'COMPLETED' }) };

    const { done, called } = await runBatch([id('a'), id('0'), id('c')]);

    expect(done.status).toBe('SUCCEEDED');
    const failures = called('batchRecordFailure');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ certificateId: id('0'), error: { Error: 'CertificateNotFound' } });
    expect(JSON.parse(String((failures[0].error as { Cause: string }).Cause))).toMatchObject({ errorType: 'CertificateNotFound', errorMessage: expect.stringContaining('was not found') });
    expect(failures[0]).not.toHaveProperty('prepared');
  });

  it('reject: a transfer that ends other than accepted is not an item failure; the batch goes on', async () => {
    const names = new Map<string, string>();
    steps = {
      batchPrepare: (p) => { const r = prepare(p) as { transferId: string }; names.set(String(p.certificateId), r.transferId); return r; },
      batchRecordFailure: () => ({}),
      batchSummarize: () => ({ status: 'COMPLETED' }),
    };

    const { done, called, detail } = await runBatch([id('b'), id('a')]);

    expect(done.status).toBe('SUCCEEDED');
    expect(called('batchRecordFailure')).toHaveLength(0);
    const childArn = batchArn.replace(':stateMachine:certificate-transfer-batch-test', ':execution:certificate-transfer-test');
    expect(model.getExecution(`${childArn}:${names.get(id('b'))}`)).toMatchObject({ status: 'FAILED', error: 'TransferRejected' });
    expect(model.getExecution(`${childArn}:${names.get(id('a'))}`)).toMatchObject({ status: 'SUCCEEDED' });
    const entered = detail.history.filter((e) => e.type.endsWith('StateEntered')).map((e) => (e.stateEnteredEventDetails as { name: string }).name);
    expect(entered).toContain('Transfer Ran?');
  });

  it('a workflow Step Functions refuses to start is recorded with the prepared transfer, so its record can be closed', async () => {
    steps = {
      batchPrepare: (p) => ({ ...(prepare(p) as object), transferId: `bad name ${'x'.repeat(80)}` }),
      batchRecordFailure: () => ({ recorded: 'TRANSFER_FAILED' }),
      batchSummarize: () => ({ status: 'COMPLETED' }),
    };

    const { done, called } = await runBatch([id('e')]);

    expect(done.status).toBe('SUCCEEDED');
    expect(called('batchRecordFailure')).toEqual([expect.objectContaining({ certificateId: id('e'), prepared: expect.objectContaining({ transferId: expect.stringContaining('bad name') }), error: expect.objectContaining({ Error: 'StepFunctions.InvalidNameException' }) })]);
  });

  it('runs at most maxConcurrency certificates at a time', async () => {
    let active = 0;
    let peak = 0;
    steps = {
      batchPrepare: async (p) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 20));
        active--;
        return prepare(p);
      },
      batchSummarize: () => ({ status: 'COMPLETED' }),
    };

    const { done, called } = await runBatch(['1', '2', '3', '4', '5', '6', '7'].map((c) => `a${c}`.padEnd(64, 'a')), 2);

    expect(done.status).toBe('SUCCEEDED');
    expect(called('batchPrepare')).toHaveLength(7);
    expect(peak).toBe(2);
  });

  it('a batch whose Map breaks is summarized with the error and ends FAILED', async () => {
    steps = {
      batchPrepare: prepare,
      batchRecordFailure: () => { throw new NamedError('Boom', 'the store is gone'); },
      batchSummarize: (p) => ({ status: (p as { error?: unknown }).error ? 'FAILED' : 'COMPLETED' }),
    };

    const { done, called } = await runBatch([id('0')]);

    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('BatchFailed');
    expect(called('batchSummarize')[0]).toMatchObject({ error: { Error: 'Boom' } });
  });
});
