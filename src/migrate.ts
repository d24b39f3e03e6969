// One-off data migrations of the transfer table, run by an operator after a deploy that
// changes index keys (scripts/backfill-creation-shards.ts).
import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from './clients/dynamodb.js';
import { config } from './config.js';
import { awsErrorName } from './errors.js';
import { creationPartition, creationShard } from './keys.js';

/** The byCreation partition key every transfer had before it was sharded. */
export const UNSHARDED_CREATION_KEY = 'TRANSFER';

/**
 * Moves transfers written before byCreation was sharded (`gsi3pk = TRANSFER`) to their
 * shard (`CREATED#<n>`), so GET /transfers without filters lists them again. Idempotent
 * and safe while the service runs: each update is conditional on the old key.
 */
export async function backfillCreationShards(opts: { onProgress?: (moved: number) => void } = {}): Promise<{ scanned: number; moved: number }> {
  let scanned = 0;
  let moved = 0;
  let key: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({
        TableName: config.tableName,
        FilterExpression: 'begins_with(pk, :transfer) AND gsi3pk = :old',
        ExpressionAttributeValues: { ':transfer': 'TRANSFER#', ':old': UNSHARDED_CREATION_KEY },
        ProjectionExpression: 'pk, sk',
        ExclusiveStartKey: key,
      }),
    );
    scanned += page.ScannedCount ?? 0;
    for (const item of page.Items ?? []) {
      const transferId = String(item.pk).slice('TRANSFER#'.length);
      try {
        await ddb.send(
          new UpdateCommand({
            TableName: config.tableName,
            Key: { pk: item.pk, sk: item.sk },
            UpdateExpression: 'SET gsi3pk = :shard',
            ConditionExpression: 'gsi3pk = :old',
            ExpressionAttributeValues: { ':shard': creationPartition(creationShard(transferId)), ':old': UNSHARDED_CREATION_KEY },
          }),
        );
        moved++;
      } catch (err) {
        if (awsErrorName(err) !== 'ConditionalCheckFailedException') throw err;
      }
    }
    opts.onProgress?.(moved);
    key = page.LastEvaluatedKey;
  } while (key);
  return { scanned, moved };
}
