import { request } from 'node:http';
import type { AwsRequest, AwsResponse, ServiceProvider } from '../edge/types.js';
import type { DynamoServer } from './server.js';

/** Forwards DynamoDB requests arriving at the edge to dynalite: over its message port when it runs on a thread, else over HTTP. */
export function createDynamoProvider(dynamo: Pick<DynamoServer, 'url' | 'handle'>, onRequest?: (operation: string) => void): ServiceProvider {
  const target = new URL(dynamo.url);
  return {
    name: 'dynamodb',
    signingNames: ['dynamodb'],
    handle: (req: AwsRequest) =>
      new Promise<AwsResponse>((resolve, reject) => {
        onRequest?.((req.headers['x-amz-target'] ?? '').split('.').pop() ?? '');
        const headers = { ...req.headers, host: target.host, 'content-length': String(req.body.length) };
        if (dynamo.handle) {
          dynamo.handle({ method: req.method, path: req.rawPath, headers, body: req.body }).then((r) => {
            const { 'content-length': _length, connection: _connection, ...h } = r.headers;
            resolve({ status: r.status, headers: h, body: r.body });
          }, reject);
          return;
        }
        const out = request({ hostname: target.hostname, port: target.port, path: req.rawPath, method: req.method, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const h: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string' && k !== 'content-length' && k !== 'connection') h[k] = v;
            resolve({ status: res.statusCode ?? 500, headers: h, body: Buffer.concat(chunks) });
          });
        });
        out.on('error', reject);
        out.end(req.body);
      }),
  };
}
