// Persistence: the model's state machines and executions as a JSON-serialisable snapshot, and restoring
// one (running executions are saved as ABORTED: they cannot resume after a restart).
import { parseDefinition, prepareForRun } from './asl.js';
import { makeStored } from './history.js';
import type { ModelState } from './records.js';
import { TaskTokens } from './tokens.js';
import type { ExecutionSnapshot, StepFunctionsSnapshot } from './types.js';

/**
 * State machines and executions, JSON-serialisable. Running executions are
 * recorded as ABORTED: they cannot be resumed after a restart.
 */
export function snapshot(model: ModelState): StepFunctionsSnapshot {
  const now = model.clock();
  return {
    version: 1,
    tokenSecret: model.tokens.secret.toString('base64'),
    stateMachines: [...model.stateMachines.values()].map((sm) => ({
      account: sm.account,
      region: sm.region,
      name: sm.name,
      stateMachineArn: sm.arn,
      definition: sm.definition,
      roleArn: sm.roleArn,
      type: sm.type,
      creationDate: sm.creationDate,
      updateDate: sm.updateDate,
    })),
    executions: [...model.executions.values()].map((e) => {
      const running = e.status === 'RUNNING';
      const history = running
        ? [...e.history, makeStored(e, 'ExecutionAborted', 'executionAbortedEventDetails', { cause: 'The local cloud stopped while the execution was running' }, now)]
        : e.history;
      return {
        account: e.account,
        region: e.region,
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        stateMachineName: e.stateMachineName,
        name: e.name,
        type: e.type,
        status: running ? 'ABORTED' : (e.status as ExecutionSnapshot['status']),
        input: e.input,
        output: e.output,
        error: e.error,
        cause: running ? 'The local cloud stopped while the execution was running' : e.cause,
        startDate: e.startDate,
        stopDate: e.stopDate ?? now,
        roleArn: e.roleArn,
        definition: e.definition,
        history: history.map((h) => ({ ...h })),
      };
    }),
  };
}

/** Replaces all state with a snapshot. Only while no execution is running. */
export function restore(model: ModelState, snapshot: StepFunctionsSnapshot): void {
  if (snapshot.version !== 1) throw new Error(`Unsupported Step Functions snapshot version ${String(snapshot.version)}`);
  if ([...model.executions.values()].some((e) => e.status === 'RUNNING')) throw new Error('restore() needs a model with no running execution');
  model.stateMachines.clear();
  model.executions.clear();
  model.callbacks.clear();
  model.tokens = new TaskTokens(Buffer.from(snapshot.tokenSecret, 'base64'));
  for (const sm of snapshot.stateMachines) {
    const parsed = parseDefinition(sm.definition);
    model.stateMachines.set(sm.stateMachineArn, {
      account: sm.account,
      region: sm.region,
      name: sm.name,
      arn: sm.stateMachineArn,
      definition: sm.definition,
      parsed,
      prepared: prepareForRun(parsed),
      roleArn: sm.roleArn,
      type: sm.type,
      creationDate: sm.creationDate,
      updateDate: sm.updateDate,
    });
  }
  for (const e of snapshot.executions) {
    model.executions.set(e.executionArn, {
      ...e,
      history: e.history.map((h) => ({ ...h })),
      activeStates: new Map(),
      finished: Promise.resolve(),
    });
  }
}
