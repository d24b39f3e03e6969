// A stored transfer item as its record, and the record as it may leave the source account's store:
// one source for the store, the list reads, the API's views and the local console.
import { KEY_ATTRIBUTES } from './keys.js';
import type { TransferRecord } from './types.js';

/** A stored item as its record: the table's and the indexes' keys left out. */
export function toRecord(item: Record<string, unknown>): TransferRecord {
  const record: Record<string, unknown> = { ...item };
  for (const key of KEY_ATTRIBUTES) delete record[key];
  return record as unknown as TransferRecord;
}

/** Removes what must never leave the source account's store. */
export function publicView(record: TransferRecord): Omit<TransferRecord, 'taskToken'> {
  const { taskToken: _token, ...rest } = record;
  return rest;
}
