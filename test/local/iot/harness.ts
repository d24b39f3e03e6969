/** Starts the IoT emulator behind the edge router and hands out SDK clients per account. */
import { IoTClient } from '@aws-sdk/client-iot';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { expect } from 'vitest';
import { startEdge } from '../../../local/edge/server.js';
import { IotModel, type IotModelOptions } from '../../../local/iot/model.js';
import { createIotProvider } from '../../../local/iot/protocol.js';

export const SOURCE = '111111111111';
export const TARGET = '222222222222';
export const TARGET_HUMAN = '333333333333';
export const STRANGER = '444444444444';
export const REGION = 'us-east-1';

export const ALLOW_ALL_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] });

/** A clock tests move by hand: quotas, propagation delays and dates become deterministic. */
export class ManualClock {
  constructor(public ms = Date.UTC(2026, 0, 1)) {}
  now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface Harness {
  model: IotModel;
  url: string;
  client(account: string): IoTClient;
  /** A raw signed request (any signing name), for wire-level assertions. */
  raw(account: string, req: { method: string; path: string; query?: Record<string, string>; headers?: Record<string, string>; body?: string; service?: string }): Promise<Response>;
  close(): Promise<void>;
}

/** EC keys by default: the suite creates many certificates (RSA is covered explicitly). */
export async function startIot(options: IotModelOptions = {}): Promise<Harness> {
  const model = new IotModel({ keyAlgorithm: 'ec', ...options });
  const edge = await startEdge([createIotProvider(model)], 0);
  const clients: IoTClient[] = [];
  const { hostname, port } = new URL(edge.url);
  return {
    model,
    url: edge.url,
    client(account: string) {
      // maxAttempts 1: throttles and injected faults must reach the test, not be retried away.
      const c = new IoTClient({ endpoint: edge.url, region: REGION, credentials: { accessKeyId: account, secretAccessKey: 'x' }, maxAttempts: 1 });
      clients.push(c);
      return c;
    },
    async raw(account, req) {
      const signer = new SignatureV4({ service: req.service ?? 'iot', region: REGION, credentials: { accessKeyId: account, secretAccessKey: 'x' }, sha256: Sha256 });
      const request = new HttpRequest({
        method: req.method,
        protocol: 'http:',
        hostname,
        port: Number(port),
        path: req.path,
        query: req.query,
        headers: { host: `${hostname}:${port}`, ...(req.body ? { 'content-type': 'application/json' } : {}), ...req.headers },
        body: req.body,
      });
      const signed = await signer.sign(request);
      const qs = req.query ? `?${new URLSearchParams(req.query).toString()}` : '';
      // The path goes out exactly as given (still percent-encoded), like the SDK sends labels.
      return fetch(`${edge.url}${req.path}${qs}`, { method: req.method, headers: signed.headers, body: req.body });
    },
    async close() {
      for (const c of clients) c.destroy();
      await edge.close();
    },
  };
}

/** Asserts a promise rejects with an AWS error of this name and HTTP status. */
export async function expectAwsError(promise: Promise<unknown>, name: string, status: number): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e as Error & { $metadata?: { httpStatusCode?: number } },
  );
  expect(err, `expected ${name}`).toBeDefined();
  expect({ name: err!.name, status: err!.$metadata?.httpStatusCode }).toEqual({ name, status });
  return err!;
}

/** Follows a list call's pagination to the end, returning every page. */
export async function allPages<T, P extends { nextMarker?: string; nextToken?: string }>(fetchPage: (token: string | undefined) => Promise<P>, items: (p: P) => T[] | undefined): Promise<T[][]> {
  const pages: T[][] = [];
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    pages.push(items(page) ?? []);
    token = page.nextMarker ?? page.nextToken;
  } while (token && pages.length < 1000);
  return pages;
}
