// timeoutSeconds, one rule for every way in: 60 … 31,104,000 through POST /transfers, POST /transfer-batches
// and the Requested trigger; and why 31,104,000 is the ceiling (the one-year execution cap, the steps around the wait).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { DescribeCertificateCommand, IoTClient } from '@aws-sdk/client-iot';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { loadServerlessStack } from '../../local/serverless/stack.js';
import { setSourceEnv, SOURCE, TARGET } from '../support/env.js';
import { useTransferTable } from '../support/dynamo.js';
import { certArn, certId } from '../support/certs.js';
import { apiEvent } from '../fixtures/apigw.js';
import { lambdaContext } from '../fixtures/context.js';
import { deployParams } from '../support/deploy-params.js';
import { startsExecutions } from '../support/sfn.js';

setSourceEnv({ BATCH_STATE_MACHINE_ARN: `arn:aws:states:us-east-1:${SOURCE}:stateMachine:certificate-transfer-batch-test` });
const iot = mockClient(IoTClient);
const sfn = mockClient(SFNClient);
const events = mockClient(EventBridgeClient);
const { handler: createTransfer } = await import('../../functions/api/create-transfer.js');
const { handler: createBatch } = await import('../../functions/api/create-batch.js');
const { handler: requested } = await import('../../functions/trigger/requested.js');
const { config, ConfigurationError, DEFAULT_TIMEOUT_SECONDS, EXECUTION_MAX_SECONDS, MAX_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS } = await import('../../src/config.js');
const { RUN_MARGIN_SECONDS } = await import('../../src/batch/steps.js');

useTransferTable();
beforeEach(() => {
  iot.reset();
  sfn.reset();
  events.reset();
  startsExecutions(sfn);
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: '1' }] });
});

function certificate() {
  const id = certId();
  iot.on(DescribeCertificateCommand, { certificateId: id }).resolves({ certificateDescription: { certificateId: id, certificateArn: certArn(id), status: 'ACTIVE' } });
  return id;
}

const startedInput = () => JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!) as Record<string, unknown>;
const RANGE = 'timeoutSeconds must be an integer from 60 to 31104000';

/** Each way of starting a transfer, as the function behind it answers: accepted (with the execution's input) or refused (with the message). */
const ENTRY_POINTS = {
  'POST /transfers': async (timeoutSeconds: number) => {
    const res = await createTransfer(apiEvent('POST', '/transfers', { body: { certificateId: certificate(), targetAccount: TARGET, timeoutSeconds } }), lambdaContext());
    const body = JSON.parse(res.body) as Record<string, unknown>;
    return res.statusCode === 202 ? { accepted: true, timeoutSeconds: startedInput().timeoutSeconds } : { accepted: false, status: res.statusCode, field: body.field, message: body.message };
  },
  'POST /transfer-batches': async (timeoutSeconds: number) => {
    const res = await createBatch(apiEvent('POST', '/transfer-batches', { body: { certificateIds: [certId()], targetAccount: TARGET, timeoutSeconds } }), lambdaContext());
    const body = JSON.parse(res.body) as Record<string, unknown>;
    return res.statusCode === 202
      ? { accepted: true, timeoutSeconds: (startedInput().request as Record<string, unknown>).timeoutSeconds }
      : { accepted: false, status: res.statusCode, field: body.field, message: body.message };
  },
  'Certificate Transfer Requested event': async (timeoutSeconds: number) => {
    const out = await requested(
      {
        version: '0',
        id: crypto.randomUUID(),
        'detail-type': 'Certificate Transfer Requested',
        source: 'iot.certificate-transfer',
        account: SOURCE,
        time: new Date().toISOString(),
        region: 'us-east-1',
        resources: [],
        detail: { certificateId: certificate(), targetAccount: TARGET, timeoutSeconds },
      },
      lambdaContext(),
    );
    if (out.outcome === 'STARTED') return { accepted: true, timeoutSeconds: startedInput().timeoutSeconds };
    const refusal = events.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? [])[0];
    // The event path has no status code: the Completed event's reason carries the error name and message.
    const reason = String((JSON.parse(refusal?.Detail ?? '{}') as { reason?: string }).reason);
    return {
      accepted: false,
      status: out.outcome === 'REFUSED' && out.error === 'ValidationError' ? 400 : out.outcome,
      field: /^ValidationError: (\w+)/.exec(reason)?.[1],
      message: reason.replace(/^ValidationError: /, ''),
    };
  },
};

describe.each(Object.entries(ENTRY_POINTS))("timeoutSeconds through %s, with the stack's default parameters", (_name, start) => {
  it.each([60, DEFAULT_TIMEOUT_SECONDS, 31_104_000])('accepts %i and hands it to the workflow', async (seconds) => {
    await expect(start(seconds)).resolves.toEqual({ accepted: true, timeoutSeconds: seconds });
  });

  it.each([59, 31_104_001, 31_536_000])('refuses %i with a 400 that names timeoutSeconds and the range, touching nothing', async (seconds) => {
    const out = await start(seconds);
    expect(out).toMatchObject({ accepted: false, status: 400, field: 'timeoutSeconds' });
    expect(String(out.message)).toContain(RANGE);
    expect(iot.commandCalls(DescribeCertificateCommand)).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('the timeoutSeconds range', () => {
  const stack = loadServerlessStack('serverless.yml', { stage: 'dev', params: deployParams('serverless.yml') });
  const machine = (key: string) => stack.stateMachines.find((m) => m.key === key)!.definition as { TimeoutSeconds?: number; States: Record<string, TaskState> };

  interface Retrier {
    ErrorEquals: string[];
    IntervalSeconds?: number;
    MaxAttempts?: number;
    BackoffRate?: number;
    MaxDelaySeconds?: number;
  }
  interface TaskState {
    Type: string;
    Resource: unknown;
    TimeoutSeconds?: number;
    TimeoutSecondsPath?: string;
    Parameters?: { FunctionName?: { 'Fn::GetAtt': [string, string] } };
    Retry?: Retrier[];
  }

  /** The most attempts a state can make, and the longest it can pause between them (ASL defaults: 1 s, 3 attempts, rate 2). */
  function retryBudget(state: TaskState) {
    let retries = 0;
    let pauses = 0;
    for (const r of state.Retry ?? []) {
      const attempts = r.MaxAttempts ?? 3;
      retries += attempts;
      for (let k = 0; k < attempts; k++) pauses += Math.min((r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** k, r.MaxDelaySeconds ?? Infinity);
    }
    return { attempts: 1 + retries, pauses };
  }

  it('is 60 to 31,104,000 (360 days) as deployed, and the 7-day default lies inside it', () => {
    expect({ MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS }).toEqual({ MIN_TIMEOUT_SECONDS: 60, MAX_TIMEOUT_SECONDS: 31_104_000 });
    expect(stack.params).toMatchObject({ minTimeoutSeconds: String(MIN_TIMEOUT_SECONDS), defaultTimeoutSeconds: String(DEFAULT_TIMEOUT_SECONDS) });
    expect(DEFAULT_TIMEOUT_SECONDS).toBeGreaterThanOrEqual(MIN_TIMEOUT_SECONDS);
    expect(DEFAULT_TIMEOUT_SECONDS).toBeLessThanOrEqual(MAX_TIMEOUT_SECONDS);
    expect(config.defaultTimeoutSeconds).toBe(604_800);
  });

  it('ends the longest wait inside the one-year execution cap, with room for every other step at its worst', () => {
    const definition = machine('certificateTransfer');
    // No execution-level TimeoutSeconds: the cap is the Standard workflow's year, and no Catch applies to it.
    expect(definition.TimeoutSeconds).toBeUndefined();
    const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
    const waits = tasks.filter(([, s]) => s.TimeoutSecondsPath !== undefined);
    expect(waits.map(([name, s]) => [name, s.TimeoutSecondsPath])).toEqual([['Notify Target And Wait', '$.timeoutSeconds']]);

    let worst = MAX_TIMEOUT_SECONDS;
    for (const [name, state] of tasks) {
      const { attempts, pauses } = retryBudget(state);
      if (state.TimeoutSecondsPath) {
        // A failed attempt fails when its Lambda does (it never got to wait): bounded by the function's timeout.
        const fn = stack.functions.find((f) => f.key === state.Parameters?.FunctionName?.['Fn::GetAtt'][0]);
        expect(fn, name).toBeDefined();
        worst += (attempts - 1) * fn!.timeout + pauses;
      } else {
        // A Task without TimeoutSeconds may run 99,999,999 s on AWS: every other step must bound itself.
        expect(state.TimeoutSeconds, name).toBeGreaterThan(0);
        worst += attempts * state.TimeoutSeconds! + pauses;
      }
    }
    expect(worst).toBeLessThan(EXECUTION_MAX_SECONDS);
  });

  it("lets a batch wait for its longest transfer inside the batch's own year", () => {
    const definition = machine('transferBatch');
    expect(definition.TimeoutSeconds).toBeUndefined();
    const run = (definition.States['Transfer Each Certificate'] as unknown as { ItemProcessor: { States: Record<string, TaskState> } }).ItemProcessor.States['Run Transfer'];
    expect(run.TimeoutSecondsPath).toBe('$.prepared.waitSeconds');
    expect(MAX_TIMEOUT_SECONDS + RUN_MARGIN_SECONDS).toBeLessThan(EXECUTION_MAX_SECONDS);
  });
});

describe('timeout settings of a deployment', () => {
  const saved = { min: process.env.MIN_TIMEOUT_SECONDS, def: process.env.DEFAULT_TIMEOUT_SECONDS };
  afterEach(() => {
    for (const [name, value] of [
      ['MIN_TIMEOUT_SECONDS', saved.min],
      ['DEFAULT_TIMEOUT_SECONDS', saved.def],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('a lowered floor (minTimeoutSeconds=5, as tests and the demo pass explicitly) lets a 5 s expiry through, and names the new range', async () => {
    process.env.MIN_TIMEOUT_SECONDS = '5';
    await expect(ENTRY_POINTS['POST /transfers'](5)).resolves.toEqual({ accepted: true, timeoutSeconds: 5 });
    const refused = await ENTRY_POINTS['POST /transfers'](4);
    expect(refused).toMatchObject({ status: 400, field: 'timeoutSeconds', message: expect.stringContaining('from 5 to 31104000') });
  });

  it.each([
    ['MIN_TIMEOUT_SECONDS', '0'],
    ['MIN_TIMEOUT_SECONDS', '1.5'],
    ['DEFAULT_TIMEOUT_SECONDS', '31536000'],
    ['DEFAULT_TIMEOUT_SECONDS', '30'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    process.env[name] = value;
    expect(() => config.defaultTimeoutSeconds).toThrow(ConfigurationError);
    expect(() => config.defaultTimeoutSeconds).toThrow(name);
  });
});
