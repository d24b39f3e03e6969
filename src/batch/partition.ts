// The items of one batch's partition (`BATCH#<id>`) under one sort-key prefix: its slices, its
// not-started certificates, its failed transfers. One query shape for the batch store and its counters.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
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
  const values: Record<string, unknown> = { ':pk': batchPartition(batchId), ':prefix': prefix };
  if (opts.unresolved) values[':yes'] = true;
  const out: Record<string, unknown>[] = [];
  let key: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(
      new QueryCommand({
        TableName: config.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ...(opts.unresolved ? { FilterExpression: '#resolved <> :yes', ExpressionAttributeNames: { '#resolved': 'resolved' } } : {}),
        ExpressionAttributeValues: values,
        ConsistentRead: true,
        ...(Number.isFinite(limit) ? { Limit: limit - out.length } : {}),
        ExclusiveStartKey: key,
      }),
    );
    out.push(...(page.Items ?? []));
    key = page.LastEvaluatedKey;
  } while (key && out.length < limit);
  return out;
}
