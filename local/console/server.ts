import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TransferApiClient } from '../../src/api-client.js';
import { AwsError } from '../edge/types.js';
import { ConsoleData, type ConsoleDeps } from './data.js';

/**
 * The local web console, served by the local API Gateway's port under
 * `/console`: static pages from `static/`, a JSON API under `/console/api`,
 * and a Server-Sent Events stream that says "something changed" whenever an
 * execution moves, an event is published or a notification is sent.
 *
 * It reads the emulators in-process (local only). What it changes goes
 * through the same doors as everyone else: a cancel is a SigV4-signed
 * DELETE /transfers/{id} to the transfer API, a decision is the target
 * account's AcceptCertificateTransfer / RejectCertificateTransfer call on the
 * IoT model (as the AWS CLI would make it), settled by the reconciler.
 */
export interface ConsoleOptions extends ConsoleDeps {
  /** The transfer API's base URL (known once the API Gateway listens). */
  apiUrl(): string;
  /** Fires the scheduled rules now (the reconciler), so a decision made here settles at once. */
  fireSchedules?(): void;
  /** Secret used to sign API requests (the local API accepts any for a 12-digit key id). */
  secretAccessKey?: string;
}

export interface WebConsole {
  /** The API Gateway's `extra` hook: true when the request was the console's. */
  handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<boolean>;
  data: ConsoleData;
}

const STATIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'static');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
const TRANSFER_ID = /^[A-Za-z0-9_-]{1,80}$/;

class ConsoleRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...SECURITY_HEADERS });
  res.end(text);
}

async function sendStatic(res: ServerResponse, file: string): Promise<void> {
  const full = normalize(join(STATIC_DIR, file));
  if (!full.startsWith(STATIC_DIR + sep)) throw new ConsoleRequestError(404, 'NotFound', 'No such file');
  let content: Buffer;
  try {
    content = await readFile(full);
  } catch {
    throw new ConsoleRequestError(404, 'NotFound', `No such file: ${file}`);
  }
  res.writeHead(200, { 'content-type': TYPES[extname(full)] ?? 'application/octet-stream', 'cache-control': 'no-cache', ...SECURITY_HEADERS });
  res.end(content);
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ConsoleRequestError(400, 'BadRequest', 'Invalid path encoding');
  }
}

function readJsonBody(body: Buffer): Record<string, unknown> {
  if (!body.length) return {};
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ConsoleRequestError(400, 'BadRequest', 'The body must be a JSON object');
}

/**
 * Changes only from this page: a JSON content type and a custom header force
 * a CORS preflight on any cross-origin request, which nothing here answers,
 * so another site open in the same browser cannot press the buttons.
 */
function assertSameOrigin(req: IncomingMessage): void {
  const host = req.headers.host;
  const origin = req.headers.origin;
  if (req.headers['x-console'] !== '1' || !String(req.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new ConsoleRequestError(403, 'Forbidden', 'Console actions need the x-console header and a JSON body');
  }
  if (origin && host && origin !== `http://${host}`) throw new ConsoleRequestError(403, 'Forbidden', `Origin ${origin} may not act on this console`);
}

export function createConsole(opts: ConsoleOptions): WebConsole {
  const data = new ConsoleData(opts);
  const signer = () =>
    new TransferApiClient({
      endpoint: opts.apiUrl(),
      region: opts.region,
      credentials: { accessKeyId: opts.sourceAccount, secretAccessKey: opts.secretAccessKey ?? process.env.LOCAL_SECRET_ACCESS_KEY ?? 'x' },
    });

  function stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', ...SECURITY_HEADERS });
    res.write('retry: 2000\n\n');
    // Bursts (a history event per state) become one "changed" message per 150 ms.
    let pending = new Set<string>();
    let timer: NodeJS.Timeout | undefined;
    const changed = (what: string) => {
      pending.add(what);
      timer ??= setTimeout(() => {
        timer = undefined;
        const kinds = [...pending];
        pending = new Set();
        res.write(`event: change\ndata: ${JSON.stringify({ kinds, at: new Date().toISOString() })}\n\n`);
      }, 150);
    };
    // Scheduled events (the reconciler's tick, every few seconds) change nothing a page shows: not a reason to refresh.
    const ticks = new Set<string>();
    const unsubscribe = [
      opts.sfn.onExecutionEvent((e) => changed(e.type === 'HistoryEvent' ? `history:${e.execution.name}` : `execution:${e.execution.name}`)),
      opts.events.onEvent((c) => {
        if (c.type === 'event' && c.record.event.source === 'aws.events') {
          ticks.add(c.record.eventId);
          if (ticks.size > 200) ticks.delete(ticks.values().next().value!);
          return;
        }
        if (c.type === 'delivery' && ticks.has(c.eventId)) return;
        changed('event');
      }),
      opts.sns.onMessage(() => changed('notification')),
    ];
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    heartbeat.unref();
    res.write(`event: hello\ndata: ${JSON.stringify({ at: new Date().toISOString() })}\n\n`);
    const close = () => {
      clearInterval(heartbeat);
      if (timer) clearTimeout(timer);
      for (const u of unsubscribe) u();
    };
    req.on('close', close);
    res.on('close', close);
  }

  async function cancel(transferId: string, body: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
    const reason = typeof body.reason === 'string' && body.reason.trim() ? body.reason.trim().slice(0, 256) : 'Cancelled from the local console';
    // The real cancel path: a signed DELETE through API Gateway to the deployed function.
    const out = await signer().request('DELETE', `/transfers/${encodeURIComponent(transferId)}`, { reason });
    return { status: out.status, body: out.body };
  }

  async function decide(transferId: string, body: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
    const decision = body.decision;
    if (decision !== 'accept' && decision !== 'reject') throw new ConsoleRequestError(400, 'BadRequest', 'decision must be "accept" or "reject"');
    const record = await data.getRecord(transferId);
    if (!record) throw new ConsoleRequestError(404, 'TransferNotFound', `Transfer ${transferId} does not exist`);
    if (record.status !== 'AWAITING_DECISION') throw new ConsoleRequestError(409, 'TransferStateConflict', `Transfer ${transferId} is ${record.status}, not awaiting a decision`);
    const ctx = { account: record.targetAccount, region: opts.region };
    try {
      // As the target account, through the model's call path (quotas, faults, stats), like `aws iot accept-certificate-transfer`.
      if (decision === 'accept') {
        await opts.iot.call(ctx, 'AcceptCertificateTransfer', { certificateId: record.certificateId, setAsActive: body.setAsActive !== false });
      } else {
        const reason = typeof body.reason === 'string' && body.reason.trim() ? body.reason.trim().slice(0, 128) : undefined;
        await opts.iot.call(ctx, 'RejectCertificateTransfer', { certificateId: record.certificateId, rejectReason: reason });
      }
    } catch (err) {
      if (err instanceof AwsError) return { status: err.status, body: { error: err.code, message: err.message } };
      throw err;
    }
    // A hand-made decision sends no event: the reconciler finds it. Run it now rather than in a few seconds.
    opts.fireSchedules?.();
    return {
      status: 202,
      body: {
        transferId,
        decision: decision === 'accept' ? 'ACCEPTED' : 'REJECTED',
        account: record.targetAccount,
        message: 'Decision made in IoT as the target account; the reconciler settles the transfer',
      },
    };
  }

  async function route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, body: Buffer): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'GET' && (path === '/console' || path === '/console/' || /^\/console\/transfers\/[^/]+\/?$/.test(path))) return sendStatic(res, 'index.html');
    if (method === 'GET' && path.startsWith('/console/static/')) return sendStatic(res, decode(path.slice('/console/static/'.length)));
    if (method === 'GET' && path === '/console/api/stream') return stream(req, res);
    if (method === 'GET' && path === '/console/api/transfers') {
      const limit = query.get('limit');
      return sendJson(res, 200, await data.overview({ status: query.get('status') || undefined, batchId: query.get('batch') || undefined, limit: limit ? Number(limit) || undefined : undefined }));
    }
    const m = path.match(/^\/console\/api\/transfers\/([^/]+)(?:\/(cancel|decision))?$/);
    if (m) {
      const transferId = decode(m[1]);
      if (!TRANSFER_ID.test(transferId)) throw new ConsoleRequestError(400, 'BadRequest', 'Not a transfer id');
      if (!m[2] && method === 'GET') {
        const detail = await data.detail(transferId);
        if (!detail) throw new ConsoleRequestError(404, 'TransferNotFound', `Transfer ${transferId} does not exist`);
        return sendJson(res, 200, detail);
      }
      if (m[2] && method === 'POST') {
        assertSameOrigin(req);
        const out = m[2] === 'cancel' ? await cancel(transferId, readJsonBody(body)) : await decide(transferId, readJsonBody(body));
        return sendJson(res, out.status, out.body);
      }
      throw new ConsoleRequestError(405, 'MethodNotAllowed', `${method} is not allowed here`);
    }
    throw new ConsoleRequestError(404, 'NotFound', `Nothing at ${path}`);
  }

  return {
    data,
    async handle(req, res, body) {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q === -1 ? url : url.slice(0, q);
      if (path !== '/console' && !path.startsWith('/console/')) return false;
      try {
        await route(req, res, path, new URLSearchParams(q === -1 ? '' : url.slice(q + 1)), body);
      } catch (err) {
        if (res.headersSent) {
          res.end();
        } else if (err instanceof ConsoleRequestError) {
          sendJson(res, err.status, { error: err.code, message: err.message });
        } else {
          console.error('[console]', err);
          sendJson(res, 500, { error: 'InternalError', message: 'The console could not read the local cloud; see the terminal' });
        }
      }
      return true;
    },
  };
}
