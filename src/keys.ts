// The transfer table's keys: the item key of a transfer and the keys of its four indexes,
// with the byCreation write shards. One source for store.ts (writes) and listing.ts (reads).
import { createHash } from 'node:crypto';
import type { TransferRecord } from './types.js';

export const transferKey = (transferId: string) => ({ pk: `TRANSFER#${transferId}`, sk: 'TRANSFER' });

/**
 * byCreation is written once per transfer, spread over this many partition keys
 * (`CREATED#0` … `CREATED#7`) so that no single key takes every new transfer; the
 * list of all transfers queries each and merges them newest first.
 */
export const CREATION_SHARDS = 8;

/** The byCreation shard of a transfer: a stable hash of its id, so its keys follow from the record. */
export function creationShard(transferId: string): number {
  return createHash('sha256').update(transferId).digest().readUInt32BE(0) % CREATION_SHARDS;
}

export const creationPartition = (shard: number) => `CREATED#${shard}`;

export function indexKeys(r: Pick<TransferRecord, 'status' | 'createdAt' | 'transferId' | 'certificateId' | 'batchId'>) {
  const sortKey = `${r.createdAt}#${r.transferId}`;
  return {
    gsi1pk: `STATUS#${r.status}`,
    gsi1sk: sortKey,
    gsi2pk: `CERT#${r.certificateId}`,
    gsi2sk: sortKey,
    gsi3pk: creationPartition(creationShard(r.transferId)),
    gsi3sk: sortKey,
    // Sparse: only the transfers of a batch are in byBatch.
    ...(r.batchId ? { gsi4pk: `BATCH#${r.batchId}`, gsi4sk: sortKey } : {}),
  };
}

/** The latest `cert-transfer doctor` ping to a target account, and its Pong (src/ping.ts). */
export const pingKey = (targetAccount: string) => ({ pk: `PING#${targetAccount}`, sk: 'PING' });

/** When the reconciler last finished a run. */
export const RECONCILER_RUN_KEY = { pk: 'RECONCILER', sk: 'RUN' } as const;
