// The transfer table's keys: the item key of a transfer and the keys of its four indexes,
// with the byCreation write shards, the lock and the batch items. One source for the store's writes, listing.ts's
// reads and the local console.
import { createHash } from 'node:crypto';
import type { TransferRecord } from './types.js';

export const transferKey = (transferId: string) => ({ pk: `TRANSFER#${transferId}`, sk: 'TRANSFER' });

/** The transfer id a transfer item's key (or an index entry, which carries it) names. */
export const transferIdOfKey = (key: Record<string, unknown>) => String(key.pk).slice('TRANSFER#'.length);

/** The lock that keeps a certificate to one open transfer (src/lock.ts). */
export const lockKey = (certificateId: string) => ({ pk: `LOCK#${certificateId}`, sk: 'LOCK' });

/** A batch's partition: its record (`BATCH`), its slices (`SLICE#<n>`) and the certificates it did not start (`SKIP#<certificateId>`). */
export const batchPartition = (batchId: string) => `BATCH#${batchId}`;
export const batchKey = (batchId: string) => ({ pk: batchPartition(batchId), sk: 'BATCH' });
/** Sort-key prefix of a batch's not-started certificates. */
export const SKIPPED_PREFIX = 'SKIP#';

/** The attributes a transfer item has beside its record: the table's and the indexes' keys. */
export const KEY_ATTRIBUTES = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk', 'gsi4pk', 'gsi4sk'] as const;

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
