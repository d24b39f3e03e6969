import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AwsRequest, AwsResponse, ServiceProvider } from './types.js';

export const DEFAULT_ACCOUNT = '000000000000';
export const DEFAULT_REGION = 'us-east-1';

/**
 * Reads the SigV4 credential scope: `Credential=AKID/date/region/service/aws4_request`.
 * Unsigned requests fall back to the default account, as LocalStack does.
 */
export function parseCredentialScope(headers: Record<string, string>): { accessKeyId: string; region: string; service: string } | undefined {
  const auth = headers['authorization'];
  const match = auth?.match(/Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/);
  if (!match) return undefined;
  return { accessKeyId: match[1], region: match[2], service: match[3] };
}

/** A presigned URL's scope: `X-Amz-Credential=AKID/date/region/service/aws4_request` in the query. */
export function parseQueryCredential(query: URLSearchParams): { accessKeyId: string; region: string; service: string } | undefined {
  const match = query.get('X-Amz-Credential')?.match(/^([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request$/);
  return match ? { accessKeyId: match[1], region: match[2], service: match[3] } : undefined;
}

/** LocalStack convention: a 12-digit access key id is the account id. */
export function accountOf(accessKeyId: string | undefined): string {
  return accessKeyId && /^\d{12}$/.test(accessKeyId) ? accessKeyId : DEFAULT_ACCOUNT;
}

/** Guess the service of an unsigned request from the awsJson target header. */
function serviceFromTarget(headers: Record<string, string>): string | undefined {
  const target = headers['x-amz-target'] ?? '';
  if (target.startsWith('AWSStepFunctions.')) return 'states';
  if (target.startsWith('AWSEvents.')) return 'events';
  if (target.startsWith('DynamoDB_')) return 'dynamodb';
  return undefined;
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function toAwsRequest(req: IncomingMessage, body: Buffer): AwsRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const query = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1));
  const scope = parseCredentialScope(headers) ?? parseQueryCredential(query);
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    rawPath,
    path: rawPath,
    query,
    headers,
    body,
    service: scope?.service ?? serviceFromTarget(headers) ?? 'unknown',
    account: accountOf(scope?.accessKeyId),
    region: scope?.region ?? DEFAULT_REGION,
    accessKeyId: scope?.accessKeyId ?? '',
  };
}

export function writeResponse(res: ServerResponse, out: AwsResponse): void {
  const body = out.body ?? '';
  res.writeHead(out.status, { 'x-amzn-requestid': crypto.randomUUID(), 'content-length': Buffer.byteLength(body), ...out.headers });
  res.end(body);
}

/** A fallback for anything no provider claims: 501 like LocalStack, never a silent 200. */
function notImplemented(service: string): AwsResponse {
  const message = `The API for service '${service}' is not implemented by the local cloud`;
  return {
    status: 501,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'NotImplementedException' },
    body: JSON.stringify({ __type: 'NotImplementedException', message }),
  };
}

/** Runs before a request reaches its service: answers it (a denial) or lets it through (undefined). */
export type EdgeGate = (req: AwsRequest) => Promise<AwsResponse | undefined>;

export class EdgeRouter {
  private readonly bySigningName = new Map<string, ServiceProvider>();

  constructor(
    providers: ServiceProvider[],
    private readonly gate?: EdgeGate,
  ) {
    for (const p of providers) for (const n of p.signingNames) this.bySigningName.set(n, p);
  }

  async route(req: AwsRequest): Promise<AwsResponse> {
    const provider = this.bySigningName.get(req.service);
    if (!provider) return notImplemented(req.service);
    const refused = await this.gate?.(req);
    if (refused) return refused;
    return provider.handle(req);
  }
}

/** Starts the edge server; resolves once it listens. Port 0 picks a free port. */
export async function startEdge(providers: ServiceProvider[], port = 4566, host = '127.0.0.1', gate?: EdgeGate): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const router = new EdgeRouter(providers, gate);
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => router.route(toAwsRequest(req, body)))
      .then((out) => writeResponse(res, out))
      .catch((err: unknown) => {
        writeResponse(res, {
          status: 500,
          headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'InternalFailureException' },
          body: JSON.stringify({ __type: 'InternalFailureException', message: err instanceof Error ? err.message : String(err) }),
        });
      });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: actual } = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host}:${actual}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
