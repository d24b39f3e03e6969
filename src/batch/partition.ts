// The items of one batch's partition (`BATCH#<id>`) under one sort-key prefix: its slices, its
// not-started certificates, its failed transfers. One query shape for the batch store and its counters.
import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import { ddb } from '../clients/dynamodb.js';
import { config } from '../config.js';
import { batchPartition } from '../keys.js';

/**
 * The items whose sort key starts with `prefix`, across pages, with consistent
 * reads; at most `limit` of them, and only those not marked `resolved` when
 * `unresolved` is set.
 */
export async function partitionItems(batchId: string, prefix: string, opts: { limit?: number; unresolved?: boolean } = {}): Promise<Record<string, unknown>[]> {
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  const out: Record<string, unknown>[] = [];
  const pages = paginateQuery(
    { client: ddb, ...(Number.isFinite(limit) ? { pageSize: limit } : {}) },
    {
      TableName: config.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ...(opts.unresolved ? { FilterExpression: '#resolved <> :yes', ExpressionAttributeNames: { '#resolved': 'resolved' } } : {}),
      ExpressionAttributeValues: { ':pk': batchPartition(batchId), ':prefix': prefix, ...(opts.unresolved ? { ':yes': true } : {}) },
      ConsistentRead: true,
    },
  );
  for await (const page of pages) {
    out.push(...(page.Items ?? []));
    if (out.length >= limit) break;
  }
  return out.slice(0, limit);
}
