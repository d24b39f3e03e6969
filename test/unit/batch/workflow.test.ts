import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import aslValidator from 'asl-validator';
import { loadServerlessStack } from '../../../local/serverless/stack.js';
import { resolveIntrinsics } from '../../../local/cloudformation/intrinsics.js';
import { StepFunctionsModel, type TaskCall } from '../../../local/stepfunctions/model.js';
import { HISTORY_EVENT_LIMIT } from '../../../local/stepfunctions/limits.js';
import { MAX_BATCH_CONCURRENCY } from '../../../src/validation.js';
import { cutSlices, groupSlices, planBatch } from '../../../src/batch/plan.js';
import { deployParams } from '../../support/deploy-params.js';

/*
 * The real transfer-batch.asl.yml, as serverless.yml wires it, run by the
 * local Step Functions emulator (its history and payload quotas enforced).
 * The batch runs its slices as child executions of itself. The Lambda steps
 * are played by the test; the certificate-transfer child is a stand-in
 * machine of the same name that ends ACCEPTED, or fails like the real one
 * does (TransferRejected) when told to.
 */
const ACCOUNT = '111111111111';
const REGION = 'us-east-1';
const ctx = { account: ACCOUNT, region: REGION };
const fn = (key: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:certificate-transfer-test-${key}`;

const stack = loadServerlessStack('serverless.yml', { stage: 'test', params: deployParams('serverless.yml') });
const raw = stack.stateMachines.find((m) => m.key === 'transferBatch')!.definition;
const resources = Object.fromEntries(['batchPrepare', 'batchLoadSlice', 'batchRecordFailure', 'batchSummarize'].map((k) => [k, { ref: k, attributes: { Arn: fn(k) } }]));
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

async function runBatch(certificateIds: string[], maxConcurrency = 10, sliceSize?: number) {
  calls.length = 0;
  const batchId = crypto.randomUUID();
  const plan = planBatch(certificateIds.length, maxConcurrency, sliceSize);
  // The slices' ids are in the store (POST /transfer-batches writes them); Load Slice reads them.
  const slices = cutSlices(certificateIds, plan);
  steps = { batchLoadSlice: (p) => ({ certificateIds: slices[Number(p.slice)] }), ...steps };
  const { executionArn } = await model.startExecution(ctx, {
    stateMachineArn: batchArn,
    name: batchId,
    input: JSON.stringify({ batchId, maxConcurrency, request: { targetAccount: '222222222222', timeoutSeconds: 600, restoreOnFailure: true }, plan, groups: groupSlices(plan) }),
  });
  const done = await model.waitForExecution(executionArn);
  const detail = model.getExecution(executionArn)!;
  const called = (key: string) => calls.filter((c) => c.lambda?.name.endsWith(key)).map((c) => c.payload as Record<string, unknown>);
  const slice = (n: number) => model.getExecution(`${executionArn}-slice-${n}`);
  const group = (n: number) => model.getExecution(`${executionArn}-group-${n}`);
  return { done, detail, called, batchId, executionArn, plan, slice, group };
}

const entered = (history: { type: string; stateEnteredEventDetails?: unknown }[]) =>
  history.filter((e) => e.type.endsWith('StateEntered')).map((e) => (e.stateEnteredEventDetails as { name: string }).name);

describe('transfer-batch.asl.yml', () => {
  it('is valid ASL with an explicit timeout and the standard Lambda retrier (FULL jitter) on every Lambda task', () => {
    expect(aslValidator(definition).isValid).toBe(true);
    const inner = (map: string) => (definition.States[map].ItemProcessor as { States: Record<string, Record<string, unknown>> }).States;
    const tasks = { ...definition.States, ...inner('Transfer Each Group'), ...inner('Transfer Each Slice'), ...inner('Transfer Each Certificate') };
    const entries = Object.entries(tasks).filter(([, s]) => s.Type === 'Task');
    expect(entries.map(([n]) => n).sort()).toEqual(['Load Slice', 'Prepare Transfer', 'Record Item Failure', 'Run Group', 'Run Slice', 'Run Transfer', 'Summarize Batch']);
    for (const [name, task] of entries) {
      // A group or a slice runs as long as its certificates do; each of them has its own timeout.
      if (name !== 'Run Slice' && name !== 'Run Group') expect(task.TimeoutSeconds ?? task.TimeoutSecondsPath, name).toBeDefined();
      const retriers = task.Retry as { ErrorEquals: string[]; JitterStrategy?: string }[];
      expect(retriers.length, name).toBeGreaterThan(0);
      for (const r of retriers) expect(r.JitterStrategy, `${name} ${r.ErrorEquals.join()}`).toBe('FULL');
      if (String(task.Resource).startsWith('arn:aws:lambda:')) {
        expect(retriers.find((r) => r.ErrorEquals.includes('Lambda.TooManyRequestsException'))?.ErrorEquals, name).toEqual([
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
          'Lambda.TooManyRequestsException',
        ]);
      }
    }
    const run = tasks['Run Transfer'];
    expect(run).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: { StateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:certificate-transfer-test`, 'Name.$': '$.prepared.transferId' },
    });
    expect(definition.States['Transfer Each Certificate']).toMatchObject({ Type: 'Map', MaxConcurrencyPath: '$.maxConcurrency', ResultPath: null });
    expect(tasks['Run Slice']).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: { StateMachineArn: batchArn, 'Name.$': "States.Format('{}-slice-{}', $.batchId, $.slice)" },
    });
    expect(tasks['Run Group']).toMatchObject({
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
      Parameters: { StateMachineArn: batchArn, 'Name.$': "States.Format('{}-group-{}', $.batchId, $.group)" },
    });
    // No certificate id rides in the batch's or a group's state: a slice loads its own from the store.
    expect(JSON.stringify(definition.States['Transfer Each Group'])).not.toContain('certificateIds');
    // Every task of an iteration, and every slice, has a Catch: no failure of one stops the others.
    for (const name of ['Prepare Transfer', 'Run Transfer', 'Record Item Failure', 'Load Slice', 'Run Slice', 'Run Group']) {
      expect(
        (tasks[name].Catch as { ErrorEquals: string[] }[]).some((c) => c.ErrorEquals.includes('States.ALL')),
        name,
      ).toBe(true);
    }
  });

  it('accept: every certificate is prepared, transferred by a child named after its transfer, and summarized', async () => {
    const children: string[] = [];
    steps = {
      batchPrepare: (p) => {
        const r = prepare(p) as { transferId: string };
        children.push(r.transferId);
        return r;
      },
      batchSummarize: () => ({ status: 'COMPLETED' }),
    };

    const { done, called, detail, batchId, group } = await runBatch([id('a'), id('c'), id('d')]);

    expect(done.status).toBe('SUCCEEDED');
    expect(
      called('batchPrepare')
        .map((p) => p.certificateId)
        .sort(),
    ).toEqual([id('a'), id('c'), id('d')]);
    expect(called('batchPrepare')[0]).toMatchObject({ batchId, request: { targetAccount: '222222222222' }, batchExecutionArn: expect.stringContaining(batchId) });
    expect(called('batchRecordFailure')).toHaveLength(0);
    expect(called('batchSummarize')).toEqual([expect.objectContaining({ batchId })]);
    const started = model
      .allExecutions({ account: ACCOUNT, region: REGION })
      .filter((e) => e.stateMachineName === 'certificate-transfer-test')
      .map((e) => e.name);
    expect(started).toEqual(expect.arrayContaining(children));
    const states = entered(detail.history);
    expect(states.slice(0, 3)).toEqual(['Batch Or Slice?', 'Transfer Each Group', 'Run Group']);
    expect(states.slice(-3)).toEqual(['Summarize Batch', 'Batch Failed?', 'Batch Completed']);
    expect(entered(group(0)!.history)).toEqual(['Batch Or Slice?', 'Transfer Each Slice', 'Load Slice', 'Run Slice', 'Slice Done', 'Group Transferred']);
    expect(called('batchLoadSlice')).toEqual([expect.objectContaining({ batchId, slice: 0 })]);
    expect(called('batchSummarize')[0]).toMatchObject({ batchId, groupResults: [{ group: 0, sliceResults: [{ slice: 0 }] }] });
    expect(called('batchSummarize')[0]).not.toHaveProperty('certificateIds');
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
      batchPrepare: (p) => {
        const r = prepare(p) as { transferId: string };
        names.set(String(p.certificateId), r.transferId);
        return r;
      },
      batchRecordFailure: () => ({}),
      batchSummarize: () => ({ status: 'COMPLETED' }),
    };

    const { done, called, slice } = await runBatch([id('b'), id('a')]);

    expect(done.status).toBe('SUCCEEDED');
    expect(called('batchRecordFailure')).toHaveLength(0);
    const childArn = batchArn.replace(':stateMachine:certificate-transfer-batch-test', ':execution:certificate-transfer-test');
    expect(model.getExecution(`${childArn}:${names.get(id('b'))}`)).toMatchObject({ status: 'FAILED', error: 'TransferRejected' });
    expect(model.getExecution(`${childArn}:${names.get(id('a'))}`)).toMatchObject({ status: 'SUCCEEDED' });
    expect(entered(slice(0)!.history)).toContain('Transfer Ran?');
  });

  it('a workflow Step Functions refuses to start is recorded with the prepared transfer, so its record can be closed', async () => {
    steps = {
      batchPrepare: (p) => ({ ...(prepare(p) as object), transferId: `bad name ${'x'.repeat(80)}` }),
      batchRecordFailure: () => ({ recorded: 'TRANSFER_FAILED' }),
      batchSummarize: () => ({ status: 'COMPLETED' }),
    };

    const { done, called } = await runBatch([id('e')]);

    expect(done.status).toBe('SUCCEEDED');
    expect(called('batchRecordFailure')).toEqual([
      expect.objectContaining({
        certificateId: id('e'),
        prepared: expect.objectContaining({ transferId: expect.stringContaining('bad name') }),
        error: expect.objectContaining({ Error: 'StepFunctions.InvalidNameException' }),
      }),
    ]);
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

    const { done, called } = await runBatch(
      ['1', '2', '3', '4', '5', '6', '7'].map((c) => `a${c}`.padEnd(64, 'a')),
      2,
    );

    expect(done.status).toBe('SUCCEEDED');
    expect(called('batchPrepare')).toHaveLength(7);
    expect(peak).toBe(2);
  });

  it('a Record Item Failure that fails after its retries is caught: the other certificates go on and the batch completes', async () => {
    const started: string[] = [];
    steps = {
      batchPrepare: (p) => {
        started.push(String(p.certificateId));
        return prepare(p);
      },
      batchRecordFailure: () => {
        throw new NamedError('ThrottlingException', 'the store is unavailable');
      },
      batchSummarize: () => ({ status: 'COMPLETED' }),
    };

    // Sequential, the failing certificate first: before, its uncaught failure ended the Map and nothing after it ran.
    const { done, called, slice } = await runBatch([id('0'), id('a'), id('c'), id('d')], 1);

    expect(done.status).toBe('SUCCEEDED');
    expect(started).toEqual([id('0'), id('a'), id('c'), id('d')]);
    expect(called('batchRecordFailure')).toHaveLength(11); // its retrier's 10 attempts spent, then caught
    expect(slice(0)).toMatchObject({ status: 'SUCCEEDED' });
    expect(called('batchSummarize')[0]).not.toHaveProperty('error');
  });

  it('a slice that fails as a whole is reported, and the other slices finish', async () => {
    let stopSlice: () => void = () => undefined;
    const stopped = new Promise<void>((r) => {
      stopSlice = r;
    });
    steps = {
      batchPrepare: async (p) => {
        // The first certificate of slice 1 never finishes: the test stops that slice from outside.
        if (String(p.certificateId) === id('d')) {
          stopSlice();
          await new Promise(() => undefined);
        }
        return prepare(p);
      },
      batchSummarize: () => ({ status: 'FAILED' }),
    };
    const run = runBatch([id('a'), id('c'), id('d'), id('e'), id('f'), id('1')], 2, 2);
    await stopped;
    const sliceArn = model.allExecutions({ account: ACCOUNT, region: REGION, status: 'RUNNING' }).find((e) => e.name.endsWith('-slice-1'))!.executionArn;
    await model.stopExecution(ctx, { executionArn: sliceArn, error: 'Operator', cause: 'stopped for the test' });

    const { done, called, slice, plan } = await run;

    expect(plan).toMatchObject({ sliceSize: 2, slices: 3 });
    expect(done).toMatchObject({ status: 'FAILED', error: 'BatchFailed' });
    expect(slice(1)).toMatchObject({ status: 'ABORTED' });
    expect(slice(0)).toMatchObject({ status: 'SUCCEEDED' });
    expect(slice(2)).toMatchObject({ status: 'SUCCEEDED' });
    expect(called('batchPrepare').map((p) => p.certificateId)).toEqual(expect.arrayContaining([id('a'), id('c'), id('f'), id('1')]));
    expect(called('batchSummarize')[0]).toMatchObject({ groupResults: [{ group: 0, sliceResults: [{ slice: 0 }, { slice: 1, error: 'States.TaskFailed' }, { slice: 2 }] }] });
  });

  it(`a batch of 1,000 in 200 slices (each certificate throttled 4 times) runs two groups, each execution within ${HISTORY_EVENT_LIMIT} history events`, async () => {
    const attempts = new Map<string, number>();
    steps = {
      batchPrepare: (p) => {
        const certificateId = String(p.certificateId);
        const n = (attempts.get(certificateId) ?? 0) + 1;
        attempts.set(certificateId, n);
        if (n <= 4) throw new NamedError('ThrottlingException', 'Rate exceeded');
        return prepare(p);
      },
      batchSummarize: () => ({ status: 'COMPLETED' }),
    };
    const ids = Array.from({ length: 1000 }, (_, i) => i.toString(16).padStart(4, '0').padStart(64, 'a'));

    const { done, detail, slice, group, plan, called } = await runBatch(ids, MAX_BATCH_CONCURRENCY, 5);

    expect(done.status).toBe('SUCCEEDED');
    expect(plan).toMatchObject({ sliceSize: 5, slices: 200, groups: 2 });
    expect(called('batchPrepare')).toHaveLength(5 * ids.length);
    expect(
      called('batchLoadSlice')
        .map((p) => p.slice)
        .sort((a, b) => Number(a) - Number(b)),
    ).toEqual(Array.from({ length: 200 }, (_, n) => n));
    const histories = [detail.history.length, group(0)!.history.length, group(1)!.history.length, ...Array.from({ length: plan.slices }, (_, n) => slice(n)!.history.length)];
    expect(Math.max(...histories)).toBeLessThan(HISTORY_EVENT_LIMIT);
    // As limits.test.ts counts them: 10 for the slice, and per certificate its iteration (2), Prepare Transfer
    // (2 + 5 attempts × 3), Run Transfer (2 + 4), Certificate Done (2).
    expect(slice(0)!.history).toHaveLength(10 + 5 * (2 + 17 + 6 + 2));
    // A group: 10 of its own, and per slice its iteration (2), Load Slice (2 + 3), Run Slice (2 + 4), Slice Done (2).
    expect(group(0)!.history).toHaveLength(10 + 100 * (2 + 5 + 6 + 2));
    expect(called('batchSummarize')[0]).toMatchObject({ groupResults: [{ group: 0 }, { group: 1 }] });
    expect((called('batchSummarize')[0].groupResults as { sliceResults: unknown[] }[]).map((g) => g.sliceResults.length)).toEqual([100, 100]);
  }, 240_000);
});
