import { publicView } from '../record.js';
import type { TransferRecord } from '../types.js';
import { consoleUrl } from './start.js';

/** A transfer as the API shows it: no task token, plus the console link. */
export function publicTransfer(record: TransferRecord) {
  return { ...publicView(record), consoleUrl: consoleUrl(record.executionArn) };
}

/** A transfer in a list: what tells transfers apart, without the history and snapshot (GET /transfers/{id} has them). */
export function transferSummary(record: TransferRecord) {
  const { history: _history, snapshot: _snapshot, ...rest } = publicTransfer(record);
  return rest;
}
