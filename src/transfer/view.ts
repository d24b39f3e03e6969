import { publicView } from '../store.js';
import type { TransferRecord } from '../types.js';
import { consoleUrl } from './start.js';

/** A transfer as the API shows it: no task token, plus the console link. */
export function publicTransfer(record: TransferRecord) {
  return { ...publicView(record), consoleUrl: consoleUrl(record.executionArn) };
}
