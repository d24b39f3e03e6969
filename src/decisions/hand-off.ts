import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { sfn } from '../clients/sfn.js';
import { awsErrorName } from '../errors.js';
import type { Decision, TransferRecord } from '../types.js';

export type HandOff = 'DELIVERED' | 'TOO_LATE';

/** Errors that mean the token is spent: the task timed out, was cancelled, or got its answer already. */
const STALE_TOKEN = ['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'];

/**
 * Sends an answer to the waiting task. A token that is no longer valid means
 * the workflow has moved on: the answer is too late and changes nothing.
 */
async function handOff(record: TransferRecord, answer: (taskToken: string) => Promise<unknown>): Promise<HandOff> {
  if (!record.taskToken) return 'TOO_LATE';
  try {
    await answer(record.taskToken);
    return 'DELIVERED';
  } catch (err) {
    if (STALE_TOKEN.includes(awsErrorName(err) ?? '')) return 'TOO_LATE';
    throw err;
  }
}

/** Hands a decision to the waiting workflow. */
export function deliverDecision(record: TransferRecord, decision: Decision): Promise<HandOff> {
  return handOff(record, (taskToken) => sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(decision) })));
}

/** Fails the waiting task with `TransferCancelled`: the workflow withdraws and restores. */
export function deliverCancel(record: TransferRecord, reason: string): Promise<HandOff> {
  return handOff(record, (taskToken) => sfn.send(new SendTaskFailureCommand({ taskToken, error: 'TransferCancelled', cause: reason.slice(0, 256) })));
}
