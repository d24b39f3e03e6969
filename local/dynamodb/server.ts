import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
// dynalite has no type declarations
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-ignore
import dynalite from 'dynalite';
import { DEMO_ACCOUNTS } from '../../src/demo-accounts.js';

export interface DynamoServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * DynamoDB, in-process, by dynalite. Tables are ACTIVE at once
 * (`createTableMs: 0`); `path` persists data with LevelDB, otherwise memory.
 */
export async function startDynamo(opts: { port?: number; path?: string } = {}): Promise<DynamoServer> {
  const server = (dynalite as (o: object) => Server)({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: opts.path });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** CloudFormation `AWS::DynamoDB::Table` properties → CreateTable input, as the stack defines the table. */
export function createTableInput(tableName: string, props: Record<string, unknown>): CreateTableCommandInput {
  const p = props as Pick<CreateTableCommandInput, 'AttributeDefinitions' | 'KeySchema' | 'GlobalSecondaryIndexes' | 'LocalSecondaryIndexes'>;
  return {
    TableName: tableName,
    AttributeDefinitions: p.AttributeDefinitions,
    KeySchema: p.KeySchema,
    GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
    LocalSecondaryIndexes: p.LocalSecondaryIndexes,
    BillingMode: 'PAY_PER_REQUEST',
  };
}

/** Creates a table if it does not exist yet (a persisted data dir may have it). */
export async function ensureTable(endpoint: string, input: CreateTableCommandInput): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: DEMO_ACCOUNTS.source, secretAccessKey: 'x' } });
  try {
    await client.send(new DescribeTableCommand({ TableName: input.TableName }));
  } catch {
    await client.send(new CreateTableCommand(input));
  } finally {
    client.destroy();
  }
}
