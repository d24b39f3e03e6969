// Task callbacks: SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat, with AWS's token semantics
// (forged → InvalidToken, task gone → TaskTimedOut). Tokens themselves are minted in tokens.ts.
import { TaskFailure, sfnErrors } from './errors.js';
import { exceedsPayloadLimit } from './limits.js';
import type { ModelState, TaskRecord } from './records.js';
import { armHeartbeat, fail, succeed } from './tasks.js';
import type { JsonValue, RequestContext } from './types.js';
import { requireString } from './validate.js';

export async function sendTaskSuccess(model: ModelState, ctx: RequestContext, input: Record<string, unknown>): Promise<Record<string, never>> {
  const task = callbackTask(model, ctx, requireString(input, 'taskToken'));
  const output = requireString(input, 'output');
  if (exceedsPayloadLimit(output)) throw sfnErrors.tooLong('output');
  let value: JsonValue;
  try {
    value = JSON.parse(output) as JsonValue;
  } catch (err) {
    throw sfnErrors.invalidOutput(`Invalid JSON: ${(err as Error).message}`);
  }
  succeed(model, task, value);
  return {};
}

export async function sendTaskFailure(model: ModelState, ctx: RequestContext, input: Record<string, unknown>): Promise<Record<string, never>> {
  const task = callbackTask(model, ctx, requireString(input, 'taskToken'));
  const error = input.error ?? '';
  const cause = input.cause ?? '';
  if (typeof error !== 'string' || error.length > 256) throw sfnErrors.validation("Value at 'error' must be a string of at most 256 characters");
  if (typeof cause !== 'string' || cause.length > 32768) throw sfnErrors.validation("Value at 'cause' must be a string of at most 32768 characters");
  fail(model, task, new TaskFailure(error, cause));
  return {};
}

export async function sendTaskHeartbeat(model: ModelState, ctx: RequestContext, input: Record<string, unknown>): Promise<Record<string, never>> {
  const task = callbackTask(model, ctx, requireString(input, 'taskToken'));
  armHeartbeat(model, task);
  return {};
}

/** AWS token semantics for SendTask*: forged → InvalidToken; gone → TaskTimedOut. */
function callbackTask(model: ModelState, ctx: RequestContext, token: string): TaskRecord {
  const check = model.tokens.check(token);
  if (!check.ok) throw sfnErrors.invalidToken();
  const rec = model.callbacks.get(token);
  if (!rec) {
    // Minted by an earlier life of the local cloud (restored secret): its execution is over.
    if (check.mintedAt < model.bootTime) throw sfnErrors.taskTimedOut();
    throw sfnErrors.taskDoesNotExist();
  }
  if (rec.run.rec.account !== ctx.account || rec.run.rec.region !== ctx.region) throw sfnErrors.invalidToken();
  if (rec.status !== 'pending') throw sfnErrors.taskTimedOut();
  return rec;
}
