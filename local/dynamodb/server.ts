import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
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
  /** On a thread: a request handed to dynalite's own request handler over a message port, without an HTTP hop. */
  handle?(req: DynamoWireRequest): Promise<DynamoWireResponse>;
  close(): Promise<void>;
}

export interface DynamoWireRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface DynamoWireResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * DynamoDB, by dynalite. Tables are ACTIVE at once (`createTableMs: 0`);
 * `path` persists data with LevelDB, otherwise memory. `thread: true` runs it
 * on a worker thread of its own, so that its request parsing and LevelDB
 * work do not share the local cloud's event loop (the emulators and the edge):
 * the local cloud's choice; a test's table stays in-process.
 */
export async function startDynamo(opts: { port?: number; path?: string; thread?: boolean } = {}): Promise<DynamoServer> {
  if (opts.thread) return startDynamoThread(opts);
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

/**
 * The worker's code: dynalite listening on 127.0.0.1 (its URL serves any
 * client), its port posted back, and each request posted to it run through
 * dynalite's own request handler with a request and a response that carry
 * only what the handler reads (events, headers, method; statusCode,
 * setHeader, end).
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { EventEmitter } = require('node:events');
const dynalite = require(workerData.module);
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: workerData.path });
const handler = server.listeners('request')[0];
server.once('error', (err) => parentPort.postMessage({ error: String(err && err.message || err) }));
server.listen(workerData.port, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', (m) => {
  if (m === 'close') return server.close(() => parentPort.postMessage({ closed: true }));
  const req = new EventEmitter();
  req.method = m.method; req.url = m.path; req.headers = m.headers;
  const headers = {};
  const res = {
    statusCode: 200,
    setHeader(k, v) { headers[k.toLowerCase()] = String(v); },
    getHeader(k) { return headers[k.toLowerCase()]; },
    end(body) { parentPort.postMessage({ id: m.id, status: res.statusCode, headers, body: body === undefined ? '' : body }); },
  };
  try {
    handler(req, res);
    setImmediate(() => { if (m.body.length) req.emit('data', Buffer.from(m.body)); req.emit('end'); });
  } catch (err) {
    parentPort.postMessage({ id: m.id, status: 500, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify({ __type: 'com.amazon.coral.service#InternalFailure', message: String(err && err.message || err) }) });
  }
});
`;

async function startDynamoThread(opts: { port?: number; path?: string }): Promise<DynamoServer> {
  const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { module: createRequire(import.meta.url).resolve('dynalite'), port: opts.port ?? 0, path: opts.path } });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('message', (m: { port?: number; error?: string }) => (m.port ? resolve(m.port) : reject(new Error(`dynalite did not start: ${m.error}`))));
  });
  const pending = new Map<number, (r: DynamoWireResponse) => void>();
  let closed: (() => void) | undefined;
  worker.on('message', (m: { id?: number; status: number; headers: Record<string, string>; body: string | Uint8Array; closed?: boolean }) => {
    if (m.closed) return closed?.();
    const done = m.id === undefined ? undefined : pending.get(m.id);
    if (!done) return;
    pending.delete(m.id!);
    done({ status: m.status, headers: m.headers, body: typeof m.body === 'string' ? Buffer.from(m.body, 'utf8') : Buffer.from(m.body) });
  });
  let next = 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    handle: (req) =>
      new Promise((resolve) => {
        const id = next++;
        pending.set(id, resolve);
        worker.postMessage({ id, method: req.method, path: req.path, headers: req.headers, body: req.body });
      }),
    close: async () => {
      const done = new Promise<void>((resolve) => (closed = resolve));
      worker.postMessage('close');
      await Promise.race([done, new Promise((r) => setTimeout(r, 2_000).unref())]);
      await worker.terminate();
    },
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
