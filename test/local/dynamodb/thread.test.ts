// DynamoDB on its own thread, reached over a message port instead of HTTP: the SDK through the edge
// reads the same answers, errors included, as from dynalite over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { startEdge } from '../../../local/edge/server.js';
import { createDynamoProvider } from '../../../local/dynamodb/provider.js';
import { startDynamo, type DynamoServer } from '../../../local/dynamodb/server.js';

const ACCOUNT = '111111111111';
let thread: DynamoServer;
let edge: Awaited<ReturnType<typeof startEdge>>;
let client: DynamoDBClient;
let direct: DynamoDBClient;

beforeAll(async () => {
  thread = await startDynamo({ thread: true });
  edge = await startEdge([createDynamoProvider(thread)], 0);
  const opts = { region: 'us-east-1', credentials: { accessKeyId: ACCOUNT, secretAccessKey: 'x' } };
  client = new DynamoDBClient({ ...opts, endpoint: edge.url });
  direct = new DynamoDBClient({ ...opts, endpoint: thread.url });
  await client.send(
    new CreateTableCommand({
      TableName: 'fleet',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

afterAll(async () => {
  client.destroy();
  direct.destroy();
  await edge.close();
  await thread.close();
});

describe('dynalite on a thread, over a message port', () => {
  it('serves writes and reads, and its HTTP URL sees the same table', async () => {
    await client.send(new PutItemCommand({ TableName: 'fleet', Item: { pk: { S: 'a' }, sk: { S: '1' }, n: { N: '7' }, text: { S: 'é ✓ '.repeat(1000) } } }));
    const got = await client.send(new GetItemCommand({ TableName: 'fleet', Key: { pk: { S: 'a' }, sk: { S: '1' } }, ConsistentRead: true }));
    expect(got.Item).toMatchObject({ n: { N: '7' }, text: { S: 'é ✓ '.repeat(1000) } });
    const viaHttp = await direct.send(new QueryCommand({ TableName: 'fleet', KeyConditionExpression: 'pk = :a', ExpressionAttributeValues: { ':a': { S: 'a' } } }));
    expect(viaHttp.Count).toBe(1);
  });

  it('answers errors as dynalite does: a refused condition, an unknown table, a malformed request', async () => {
    const put = (ConditionExpression?: string) => client.send(new PutItemCommand({ TableName: 'fleet', Item: { pk: { S: 'a' }, sk: { S: '1' } }, ConditionExpression }));
    await expect(put('attribute_not_exists(pk)')).rejects.toMatchObject({ name: 'ConditionalCheckFailedException', $metadata: { httpStatusCode: 400 } });
    await expect(client.send(new GetItemCommand({ TableName: 'missing', Key: { pk: { S: 'a' }, sk: { S: '1' } } }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(client.send(new GetItemCommand({ TableName: 'fleet', Key: {} }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('keeps many requests in flight at once, each answered to its own caller', async () => {
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => client.send(new PutItemCommand({ TableName: 'fleet', Item: { pk: { S: 'many' }, sk: { S: String(i).padStart(3, '0') }, i: { N: String(i) } } }))),
    );
    const all = await Promise.all(Array.from({ length: 200 }, (_, i) => client.send(new GetItemCommand({ TableName: 'fleet', Key: { pk: { S: 'many' }, sk: { S: String(i).padStart(3, '0') } } }))));
    expect(all.map((r) => Number(r.Item!.i.N))).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
});
