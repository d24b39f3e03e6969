// Finding a state machine or an execution by ARN for an API call: a malformed ARN is InvalidArn, one
// of another account or region does not exist, as in AWS.
import { sfnErrors } from './errors.js';
import type { ExecutionRecord, ModelState, StateMachineRecord } from './records.js';
import type { RequestContext } from './types.js';

const SM_ARN_RE = /^arn:aws[\w-]*:states:([a-z0-9-]+):(\d{12}):stateMachine:([^:]+)$/;
const EXEC_ARN_RE = /^arn:aws[\w-]*:states:([a-z0-9-]+):(\d{12}):(execution|express):([^:]+):([^:]+)(?::([^:]+))?$/;

export function findStateMachine(model: ModelState, ctx: RequestContext, arn: string): StateMachineRecord {
  const m = arn.match(SM_ARN_RE);
  if (!m) throw sfnErrors.invalidArn(arn);
  const sm = model.stateMachines.get(arn);
  if (!sm || m[1] !== ctx.region || m[2] !== ctx.account) throw sfnErrors.stateMachineDoesNotExist(arn);
  return sm;
}

export function findExecution(model: ModelState, ctx: RequestContext, arn: string, standardOnly = false): ExecutionRecord {
  const m = arn.match(EXEC_ARN_RE);
  if (!m || (m[3] === 'execution' && m[6] !== undefined)) throw sfnErrors.invalidArn(arn);
  if (standardOnly && m[3] === 'express') throw sfnErrors.typeNotSupported('EXPRESS');
  const rec = model.executions.get(arn);
  if (!rec || m[1] !== ctx.region || m[2] !== ctx.account) throw sfnErrors.executionDoesNotExist(arn);
  return rec;
}
