// The byCreation backfill: a transfer written with the old constant key is listed again once moved.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { setSourceEnv, SOURCE, TARGET } from '../support/env.js';
import { useTransferTable } from '../support/dynamo.js';
import { certArn, certId } from '../support/certs.js';

setSourceEnv();
const store = { ...(await import('../../src/store.js')), ...(await import('../../src/listing.js')) };
const { ddb } = await import('../../src/clients/dynamodb.js');
const { backfillCreationShards } = await import('../../src/migrate.js');

useTransferTable();

async function listAll(): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await store.listTransfers({ limit: 100, nextToken });
    ids.push(...page.items.map((i) => i.transferId));
    nextToken = page.nextToken;
  } while (nextToken);
  return ids;
}

describe('backfillCreationShards', () => {
  it('lists a transfer recorded before byCreation was sharded again, and moves it once', async () => {
    const transferId = crypto.randomUUID();
    const certificateId = certId();
    const createdAt = new Date().toISOString();
    await ddb.send(
      new PutCommand({
        TableName: process.env.TABLE_NAME,
        Item: {
          pk: `TRANSFER#${transferId}`,
          sk: 'TRANSFER',
          gsi1pk: 'STATUS#CANCELLED',
          gsi1sk: `${createdAt}#${transferId}`,
          gsi2pk: `CERT#${certificateId}`,
          gsi2sk: `${createdAt}#${transferId}`,
          gsi3pk: 'TRANSFER',
          gsi3sk: `${createdAt}#${transferId}`,
          transferId,
          certificateId,
          certificateArn: certArn(certificateId),
          sourceAccount: SOURCE,
          targetAccount: TARGET,
          status: 'CANCELLED',
          timeoutSeconds: 600,
          restoreOnFailure: true,
          executionArn: `arn:aws:states:us-east-1:${SOURCE}:execution:sm:${transferId}`,
          createdAt,
          updatedAt: createdAt,
          history: [],
        },
      }),
    );
    const current = await store.createTransfer({
      transferId: crypto.randomUUID(),
      certificateId: certId(),
      certificateArn: certArn(certId()),
      sourceAccount: SOURCE,
      targetAccount: TARGET,
      timeoutSeconds: 600,
      restoreOnFailure: true,
      executionArn: `arn:aws:states:us-east-1:${SOURCE}:execution:sm:x`,
    });
    expect(await listAll()).not.toContain(transferId);

    const first = await backfillCreationShards();
    const again = await backfillCreationShards();

    expect(first.moved).toBe(1);
    expect(again.moved).toBe(0);
    expect(await listAll()).toEqual(expect.arrayContaining([transferId, current.transferId]));
  });
});
