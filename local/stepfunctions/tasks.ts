// Task states: scheduling and invoking a task (Lambda, lambda:invoke, states:startExecution, any other
// resource), its timeout and heartbeat, and how it ends (succeeded, failed, timed out, submitted).
import { WRAP, classifyResource, type TaskStateInfo } from './asl.js';
import { StatesRuntimeFailure, TaskAbandoned, TaskFailure } from './errors.js';
import { record } from './history.js';
import { lambdaFailure, lambdaInvokeResponse, parseFunctionName, serviceFailure } from './integrations.js';
import { exceedsPayloadLimit, inputTooLarge, resultTooLarge } from './limits.js';
import type { ExecutionRecord, ModelState, Run, StartExecution, TaskRecord } from './records.js';
import { settle, stopChild } from './stop.js';
import { LongTimer, timeoutError } from './timers.js';
import type { JsonValue } from './types.js';
import { json, orUndefined, toJsonValue } from './values.js';

/**
 * The handler the library calls for a Task: records Scheduled/Started, arms the task's timers and
 * invokes the task once the library's TaskStateEntered is in the history. `startExecution` starts
 * the child of a `states:startExecution` task (the engine's start, passed in).
 */
export async function runTask(model: ModelState, run: Run, task: TaskStateInfo, wrapped: Record<string, JsonValue>, startExecution: StartExecution): Promise<JsonValue> {
  const token = typeof wrapped[WRAP.token] === 'string' ? (wrapped[WRAP.token] as string) : model.tokens.mint(Date.now());
  run.tokenCache = undefined;
  if (run.ended || model.closed) throw new TaskAbandoned('Execution ended');
  const def = task.definition;
  const parameters = WRAP.params in wrapped ? wrapped[WRAP.params] : wrapped[WRAP.input];
  // "input data when scheduling a task": the resolved Parameters count, not the state's input.
  if (exceedsPayloadLimit(json(parameters))) throw inputTooLarge(task.name);
  const info = classifyResource(task.resource);
  const explicitTimeout = seconds(def.TimeoutSeconds, wrapped[WRAP.timeout], WRAP.timeout in wrapped, 'TimeoutSecondsPath');
  const heartbeatSeconds = seconds(def.HeartbeatSeconds, wrapped[WRAP.heartbeat], WRAP.heartbeat in wrapped, 'HeartbeatSecondsPath');
  const timeoutSeconds = explicitTimeout ?? (info.pattern === 'request-response' && info.kind !== 'states:startExecution' ? (model.defaultTaskTimeoutSeconds ?? undefined) : undefined);
  const callback = info.pattern === 'wait-for-task-token';

  let resolve!: (value: JsonValue) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<JsonValue>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const rec: TaskRecord = {
    run,
    task,
    info,
    token,
    callback,
    inputKey: json(wrapped[WRAP.input]),
    startedAtMs: Date.now(),
    status: 'pending',
    resolve,
    reject,
    controller: new AbortController(),
    events: [],
    flushed: 0,
    anchored: false,
  };
  run.pending.add(rec);
  run.journal.push(rec);
  if (callback) model.callbacks.set(token, rec);

  if (info.kind === 'lambda') {
    record(model, rec, 'LambdaFunctionScheduled', 'lambdaFunctionScheduledEventDetails', {
      resource: task.resource,
      input: json(parameters),
      inputDetails: { truncated: false },
      timeoutInSeconds: explicitTimeout,
    });
    record(model, rec, 'LambdaFunctionStarted');
  } else {
    record(model, rec, 'TaskScheduled', 'taskScheduledEventDetails', {
      resourceType: info.resourceType,
      resource: info.resourceName,
      region: run.rec.region,
      parameters: json(parameters),
      timeoutInSeconds: explicitTimeout,
      heartbeatInSeconds: heartbeatSeconds,
    });
    record(model, rec, 'TaskStarted', 'taskStartedEventDetails', { resourceType: info.resourceType, resource: info.resourceName });
  }
  if (timeoutSeconds !== undefined) {
    rec.timeout = new LongTimer(timeoutSeconds * 1000, () => timeOut(model, rec, timeoutError('States.Timeout', '')));
  }
  if (heartbeatSeconds !== undefined) {
    rec.heartbeat = { ms: heartbeatSeconds * 1000 };
    armHeartbeat(model, rec);
  }
  // The invocation waits until the history has caught up with this task's TaskStateEntered: if the
  // previous state's output was over the payload quota, the execution fails before this task runs.
  rec.begin = () => {
    void work(model, rec, parameters, startExecution);
  };
  return promise;
}

/** A positive integer from the field or the resolved *Path value; a bad path value is a States.Runtime error, as in AWS. */
function seconds(fixed: unknown, fromPath: JsonValue | undefined, hasPath: boolean, field: string): number | undefined {
  if (typeof fixed === 'number') return fixed;
  if (!hasPath) return undefined;
  if (typeof fromPath !== 'number' || !Number.isInteger(fromPath) || fromPath < 1 || fromPath > 99_999_999) {
    throw new StatesRuntimeFailure(`The value for the field '${field}' must be a positive integer, got ${json(fromPath)}`);
  }
  return fromPath;
}

async function work(model: ModelState, rec: TaskRecord, parameters: JsonValue, startExecution: StartExecution): Promise<void> {
  const { run, info, task } = rec;
  const exec = run.rec;
  const base = {
    account: exec.account,
    region: exec.region,
    executionArn: exec.executionArn,
    stateMachineArn: exec.stateMachineArn,
    stateName: task.name,
    resource: task.resource,
    pattern: info.pattern,
    parameters,
    signal: rec.controller.signal,
    taskToken: rec.callback ? rec.token : undefined,
  };
  try {
    if (info.kind === 'lambda') {
      const target = parseFunctionName(task.resource, exec.account, exec.region);
      const result = await model.invokeTask({ ...base, kind: 'lambda', functionName: task.resource, lambda: target, payload: parameters });
      succeed(model, rec, toJsonValue(result));
    } else if (info.kind === 'lambda:invoke') {
      const p = (parameters ?? {}) as Record<string, JsonValue>;
      const functionName = typeof p.FunctionName === 'string' ? p.FunctionName : undefined;
      if (!functionName) throw new TaskFailure('Lambda.InvalidParameterValueException', "The field 'FunctionName' is required");
      const payload = p.Payload === undefined ? {} : p.Payload;
      const result = await model.invokeTask({
        ...base,
        kind: 'lambda:invoke',
        functionName,
        lambda: parseFunctionName(functionName, exec.account, exec.region),
        payload,
      });
      const response = lambdaInvokeResponse(toJsonValue(result));
      if (rec.callback) submitted(model, rec, response);
      else succeed(model, rec, response);
    } else if (info.kind === 'states:startExecution') {
      await startChild(model, rec, parameters, startExecution);
    } else {
      const result = toJsonValue(await model.invokeTask({ ...base, kind: 'other' }));
      if (rec.callback) submitted(model, rec, result);
      else succeed(model, rec, result);
    }
  } catch (err) {
    if (rec.status !== 'pending') return;
    fail(model, rec, info.kind === 'lambda' || info.kind === 'lambda:invoke' ? lambdaFailure(err) : serviceFailure(err, info.resourceType));
  }
}

/** `arn:aws:states:::states:startExecution[.sync[:2]]`: a child execution in this model. */
async function startChild(model: ModelState, rec: TaskRecord, parameters: JsonValue, startExecution: StartExecution): Promise<void> {
  const exec = rec.run.rec;
  const p = (parameters ?? {}) as Record<string, JsonValue>;
  const input = p.Input === undefined ? '{}' : typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input);
  let started: ExecutionRecord;
  try {
    const scope = { account: exec.account, region: exec.region, stateMachineArn: exec.stateMachineArn, executionArn: exec.executionArn };
    await model.authorizeServiceCall?.({ ...scope, action: 'states:StartExecution', resources: [String(p.StateMachineArn)] });
    if (rec.info.pattern === 'sync' || rec.info.pattern === 'sync:2') {
      // A .sync child is watched through a managed EventBridge rule (Step Functions' IAM page for integrated services).
      const rule = `arn:aws:events:${exec.region}:${exec.account}:rule/StepFunctionsGetEventsForStepFunctionsExecutionRule`;
      for (const action of ['events:PutTargets', 'events:PutRule', 'events:DescribeRule']) await model.authorizeServiceCall?.({ ...scope, action, resources: [rule] });
    }
    started = await startExecution({ account: exec.account, region: exec.region }, { stateMachineArn: p.StateMachineArn, name: p.Name ?? undefined, input });
  } catch (err) {
    throw serviceFailure(err, 'states');
  }
  if (rec.status !== 'pending') {
    // The parent stopped waiting while the child was starting: AWS stops the child.
    void stopChild(started);
    return;
  }
  const startResult = { ExecutionArn: started.executionArn, StartDate: started.startDate };
  if (rec.info.pattern === 'request-response' || rec.info.pattern === 'wait-for-task-token') {
    if (rec.callback) submitted(model, rec, startResult);
    else succeed(model, rec, startResult);
    return;
  }
  rec.child = started;
  submitted(model, rec, startResult);
  await started.finished;
  if (rec.status !== 'pending') return;
  const v2 = rec.info.pattern === 'sync:2';
  const parse = (s: string | undefined): JsonValue => (s === undefined ? null : v2 ? (JSON.parse(s) as JsonValue) : s);
  const described: Record<string, JsonValue> = {
    ExecutionArn: started.executionArn,
    Input: parse(started.input),
    InputDetails: { Included: true },
    Name: started.name,
    StartDate: started.startDate,
    StateMachineArn: started.stateMachineArn,
    Status: started.status,
    StopDate: started.stopDate ?? null,
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
  };
  if (started.status === 'SUCCEEDED') {
    succeed(model, rec, { ...described, Output: parse(started.output), OutputDetails: { Included: true } });
  } else {
    if (started.error !== undefined) described.Error = started.error;
    if (started.cause !== undefined) described.Cause = started.cause;
    fail(model, rec, new TaskFailure('States.TaskFailed', JSON.stringify(described)));
  }
}

export function armHeartbeat(model: ModelState, rec: TaskRecord): void {
  if (!rec.heartbeat || rec.status !== 'pending') return;
  rec.heartbeat.timer?.clear();
  rec.heartbeat.timer = new LongTimer(rec.heartbeat.ms, () => timeOut(model, rec, timeoutError('States.HeartbeatTimeout', '')));
}

export function succeed(model: ModelState, rec: TaskRecord, output: JsonValue): void {
  if (rec.status !== 'pending') return;
  const out = json(output);
  if (exceedsPayloadLimit(out)) {
    // AWS names the Lambda ARN for a Lambda resource, the service for an integration (e.g. 'lambda').
    fail(model, rec, resultTooLarge(rec.info.kind === 'lambda' ? rec.task.resource : rec.info.resourceType));
    return;
  }
  settle(rec, 'succeeded');
  if (rec.info.kind === 'lambda') record(model, rec, 'LambdaFunctionSucceeded', 'lambdaFunctionSucceededEventDetails', { output: out, outputDetails: { truncated: false } }, true);
  else
    record(model, rec, 'TaskSucceeded', 'taskSucceededEventDetails', { resourceType: rec.info.resourceType, resource: rec.info.resourceName, output: out, outputDetails: { truncated: false } }, true);
  rec.resolve(output);
}

export function fail(model: ModelState, rec: TaskRecord, err: Error): void {
  if (!settle(rec, 'failed')) return;
  if (!(err instanceof TaskAbandoned)) {
    const details = { error: orUndefined(err.name), cause: orUndefined(err.message) };
    if (rec.info.kind === 'lambda') record(model, rec, 'LambdaFunctionFailed', 'lambdaFunctionFailedEventDetails', details, true);
    else record(model, rec, 'TaskFailed', 'taskFailedEventDetails', { resourceType: rec.info.resourceType, resource: rec.info.resourceName, ...details }, true);
  }
  rec.reject(err);
}

export function timeOut(model: ModelState, rec: TaskRecord, err: Error): void {
  if (!settle(rec, 'timed-out')) return;
  rec.controller.abort();
  const details = { error: err.name, cause: orUndefined(err.message) };
  if (rec.info.kind === 'lambda') record(model, rec, 'LambdaFunctionTimedOut', 'lambdaFunctionTimedOutEventDetails', details, true);
  else record(model, rec, 'TaskTimedOut', 'taskTimedOutEventDetails', { resourceType: rec.info.resourceType, resource: rec.info.resourceName, ...details }, true);
  if (rec.child) void stopChild(rec.child);
  rec.reject(err);
}

export function submitted(model: ModelState, rec: TaskRecord, output: JsonValue): void {
  if (rec.status !== 'pending') return;
  record(model, rec, 'TaskSubmitted', 'taskSubmittedEventDetails', { resourceType: rec.info.resourceType, resource: rec.info.resourceName, output: json(output), outputDetails: { truncated: false } });
}
