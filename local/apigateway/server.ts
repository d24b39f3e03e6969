import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { verifySigV4 } from './sigv4.js';

/**
 * API Gateway (REST, v1 proxy integration), locally: the routes of the
 * stack's `http` events, AWS_IAM enforced by verifying SigV4, requests turned
 * into the proxy event a Lambda gets, responses from its proxy result.
 * Unknown routes answer 403 "Missing Authentication Token", as API Gateway does.
 */
export interface Route {
  method: string;
  /** `/transfers/{transferId}` */
  resource: string;
  functionArn: string;
  authorizer?: string;
}

export interface ApiGatewayOptions {
  port?: number;
  host?: string;
  /** The account that owns the API (requestContext.accountId). */
  account: string;
  region: string;
  stage: string;
  invoke(functionArn: string, event: APIGatewayProxyEvent): Promise<unknown>;
  secretFor(accessKeyId: string): string | undefined;
  /** Largest body accepted, like API Gateway's 10 MB payload limit. */
  maxBodyBytes?: number;
  /** Non-API paths (the web console) handled before routing; return true when handled. */
  extra?: (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<boolean> | boolean;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  params: string[];
}

function compile(route: Route): CompiledRoute {
  const params: string[] = [];
  const pattern = route.resource.replace(/\{([^}+]+)\+?\}/g, (_m, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { ...route, regex: new RegExp(`^${pattern}/?$`), params };
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': crypto.randomUUID(), ...headers });
  res.end(body);
}

function gatewayError(res: ServerResponse, status: number, type: string, message: string): void {
  send(res, status, JSON.stringify({ message }), { 'x-amzn-errortype': type });
}

export class LocalApiGateway {
  private routes: CompiledRoute[] = [];
  private server?: Server;
  url = '';

  constructor(private readonly opts: ApiGatewayOptions) {}

  addRoutes(routes: Route[]): void {
    this.routes.push(...routes.map(compile));
  }

  listRoutes(): Route[] {
    return this.routes.map(({ method, resource, functionArn, authorizer }) => ({ method, resource, functionArn, authorizer }));
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) gatewayError(res, 500, 'InternalServerErrorException', 'Internal server error');
        console.error('[apigateway]', err);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 3000, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.url = `http://${this.opts.host ?? '127.0.0.1'}:${port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const max = this.opts.maxBodyBytes ?? 10 * 1024 * 1024;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > max) {
        gatewayError(res, 413, 'RequestTooLarge', 'Request Too Long');
        req.destroy();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks);
    if (this.opts.extra && (await this.opts.extra(req, res, body))) return;

    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1));
    const method = (req.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(',') : v;

    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      return gatewayError(res, 400, 'BadRequestException', 'Invalid path encoding');
    }
    const match = this.routes.map((r) => ({ r, m: r.method === method || r.method === 'ANY' ? rawPath.match(r.regex) : null })).find((x) => x.m);
    if (!match?.m) return gatewayError(res, 403, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    const route = match.r;

    let identityAccount: string | null = null;
    let accessKey: string | null = null;
    if (route.authorizer === 'aws_iam') {
      // The verifier sees the request as sent: raw query, and every value of a repeated header.
      const auth = verifySigV4({ method, rawPath, rawQuery: q === -1 ? '' : rawUrl.slice(q + 1), headers: req.headersDistinct, body }, this.opts.secretFor, Date.now(), {
        service: 'execute-api',
        region: this.opts.region,
      });
      if (!auth.ok) return gatewayError(res, auth.status, auth.type, auth.message);
      identityAccount = auth.account;
      accessKey = auth.accessKeyId;
    }

    const pathParameters: Record<string, string> = {};
    route.params.forEach((name, i) => {
      pathParameters[name] = decodeURIComponent(match.m![i + 1]);
    });
    const single: Record<string, string> = {};
    const multi: Record<string, string[]> = {};
    for (const [k, v] of query) {
      single[k] = v;
      (multi[k] ??= []).push(v);
    }
    const multiHeaders: Record<string, string[]> = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
    const isText = body.length === 0 || /json|text|xml|form/.test(headers['content-type'] ?? 'application/json');
    const event: APIGatewayProxyEvent = {
      resource: route.resource,
      path,
      httpMethod: method,
      headers,
      multiValueHeaders: multiHeaders,
      queryStringParameters: Object.keys(single).length ? single : null,
      multiValueQueryStringParameters: Object.keys(multi).length ? multi : null,
      pathParameters: Object.keys(pathParameters).length ? pathParameters : null,
      stageVariables: null,
      body: body.length ? (isText ? body.toString('utf8') : body.toString('base64')) : null,
      isBase64Encoded: !isText,
      requestContext: {
        accountId: this.opts.account,
        apiId: 'local',
        authorizer: null,
        protocol: `HTTP/${req.httpVersion}`,
        httpMethod: method,
        identity: {
          accessKey,
          accountId: identityAccount,
          apiKey: null,
          apiKeyId: null,
          caller: accessKey,
          clientCert: null,
          cognitoAuthenticationProvider: null,
          cognitoAuthenticationType: null,
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          principalOrgId: null,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          user: accessKey,
          userAgent: headers['user-agent'] ?? null,
          userArn: identityAccount ? `arn:aws:iam::${identityAccount}:root` : null,
        },
        path: `/${this.opts.stage}${path}`,
        stage: this.opts.stage,
        requestId: crypto.randomUUID(),
        requestTimeEpoch: Date.now(),
        resourceId: 'local',
        resourcePath: route.resource,
      },
    };

    let result: APIGatewayProxyResult;
    try {
      result = (await this.opts.invoke(route.functionArn, event)) as APIGatewayProxyResult;
    } catch (err) {
      // No permission to invoke the function: "Execution failed due to configuration error: Invalid permissions on Lambda function", a 500.
      if ((err as Error).name === 'AccessDeniedException') return gatewayError(res, 500, 'InternalServerErrorException', 'Internal server error');
      // A function error behind a proxy integration is a 502, as in API Gateway.
      return gatewayError(res, 502, 'InternalServerErrorException', 'Internal server error');
    }
    if (!result || typeof result.statusCode !== 'number') return gatewayError(res, 502, 'InternalServerErrorException', 'Internal server error');
    const outHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(result.headers ?? {})) outHeaders[k] = String(v);
    for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) outHeaders[k] = v.map(String).join(',');
    res.writeHead(result.statusCode, { 'x-amzn-requestid': event.requestContext.requestId, ...outHeaders });
    res.end(result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? ''));
  }
}
