import { afterAll, beforeAll } from 'vitest';
import { createTableInput, ensureTable, startDynamo, type DynamoServer } from '../../local/dynamodb/server.js';
import { sourceStack } from './template.js';

/**
 * A real (dynalite) DynamoDB with the stack's own table definition, reached by
 * the domain's client through AWS_ENDPOINT_URL_DYNAMODB.
 */
export async function startTransferTable(tableName = process.env.TABLE_NAME ?? 'transfers-test'): Promise<DynamoServer> {
  const server = await startDynamo();
  process.env.AWS_ENDPOINT_URL_DYNAMODB = server.url;
  await ensureTable(server.url, createTableInput(tableName, sourceStack().resources.Resources.TransferTable.Properties));
  return server;
}

/** Registers a real transfer table for the test file: started before its tests, closed after. */
export function useTransferTable(): void {
  let server: DynamoServer | undefined;
  beforeAll(async () => {
    server = await startTransferTable();
  });
  afterAll(async () => {
    await server?.close();
  });
}
