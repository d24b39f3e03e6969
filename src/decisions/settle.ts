import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { sfn } from '../clients/sfn.js';
import { awsErrorName } from '../errors.js';
import type { Decision, TransferRecord } from '../types.js';

export type HandOff = 'DELIVERED' | 'TOO_LATE';

/**
 * Hands a decision to the waiting workflow. A token that is no longer valid
 * (the task timed out, was cancelled, or got its decision already) means the
 * workflow has moved on: the decision is too late and changes nothing.
 */
export async function deliverDecision(record: TransferRecord, decision: Decision): Promise<HandOff> {
  if (!record.taskToken) return 'TOO_LATE';
  try {
    await sfn.send(new SendTaskSuccessCommand({ taskToken: record.taskToken, output: JSON.stringify(decision) }));
    return 'DELIVERED';
  } catch (err) {
    if (['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'].includes(awsErrorName(err) ?? '')) return 'TOO_LATE';
    throw err;
  }
}

/** Fails the waiting task with `TransferCancelled`: the workflow withdraws and restores. */
export async function deliverCancel(record: TransferRecord, reason: string): Promise<HandOff> {
  if (!record.taskToken) return 'TOO_LATE';
  try {
    await sfn.send(new SendTaskFailureCommand({ taskToken: record.taskToken, error: 'TransferCancelled', cause: reason.slice(0, 256) }));
    return 'DELIVERED';
  } catch (err) {
    if (['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'].includes(awsErrorName(err) ?? '')) return 'TOO_LATE';
    throw err;
  }
}
