import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
// The answers' types come from the functions that make them (type-only: nothing of the server is bundled).
import type { batchView } from './batch/progress.js';
import type { PingReport } from './ping.js';
import type { cancelAwaitingTransfer } from './transfer/cancel.js';
import type { publicTransfer, transferSummary } from './transfer/view.js';
import type { RestoreOutcome } from './types.js';

/** GET /transfers/{transferId} and a repair's answer (OpenAPI `Transfer`): the record without its task token, with the console link. */
export type TransferView = ReturnType<typeof publicTransfer>;
/** An item of GET /transfers (`TransferSummary`): a transfer without its history and snapshot. */
export type TransferSummaryView = ReturnType<typeof transferSummary>;
/** GET /transfers (`TransferPage`). */
export type TransferPage = {
  items: TransferSummaryView[];
  nextToken?: string;
};
/** POST /transfers (`TransferStarted`). */
export type TransferStarted = {
  transferId: string;
  status: 'REQUESTED';
  executionArn: string;
  consoleUrl: string;
};
/** DELETE /transfers/{transferId} (`TransferCancelling`). */
export type TransferCancelling = Awaited<ReturnType<typeof cancelAwaitingTransfer>>;
/** POST /transfer-batches (`BatchStarted`). */
export type BatchStarted = {
  batchId: string;
  status: 'RUNNING';
  total: number;
  executionArn: string;
  consoleUrl: string;
  truncated?: boolean;
};
/** GET /transfer-batches/{batchId} (`Batch`): the batch with its counts per status and its failures. */
export type BatchView = Awaited<ReturnType<typeof batchView>>;
export type { PingReport };

/**
 * A small client for the transfer API: every request is signed with SigV4
 * (service `execute-api`), as API Gateway's AWS_IAM authorization requires.
 */
export interface ApiClientOptions {
  endpoint: string;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

/** An error answer (OpenAPI `Error`, `RestoreIncompleteError`); a gateway's own errors carry only `message`. */
export type ApiErrorBody = Record<string, unknown> & {
  error?: string;
  message?: string;
  requestId?: string;
  currentStatus?: string;
  restore?: RestoreOutcome;
};

export class ApiError extends Error {
  readonly body: ApiErrorBody;

  constructor(
    readonly status: number,
    body: Record<string, unknown>,
  ) {
    super(String(body.message ?? `HTTP ${status}`));
    this.name = String(body.error ?? 'ApiError');
    this.body = body;
  }
}

export class TransferApiClient {
  private readonly signer: SignatureV4;
  private readonly base: URL;

  constructor(opts: ApiClientOptions) {
    this.base = new URL(opts.endpoint.endsWith('/') ? opts.endpoint : `${opts.endpoint}/`);
    this.signer = new SignatureV4({ service: 'execute-api', region: opts.region, credentials: opts.credentials, sha256: Sha256 });
  }

  /** Sends a signed request; resolves with status and parsed JSON body. */
  async request(method: string, path: string, body?: unknown, query: Record<string, string | undefined> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const url = new URL(path.replace(/^\//, ''), this.base);
    const q: Record<string, string> = {};
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') q[k] = v;
    // A string is sent as it is (for tests of malformed bodies); anything else as JSON.
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const request = new HttpRequest({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: q,
      headers: { host: url.host, ...(payload ? { 'content-type': 'application/json' } : {}) },
      body: payload,
    });
    const signed = await this.signer.sign(request);
    const search = new URLSearchParams(q).toString();
    const res = await fetch(`${url.origin}${url.pathname}${search ? `?${search}` : ''}`, { method, headers: signed.headers as Record<string, string>, body: payload });
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { message: text };
    }
    return { status: res.status, body: parsed };
  }

  /** The answer's body as the API documents it (docs/openapi.yaml), or an `ApiError` for a 4xx/5xx. */
  private async ok<T>(method: string, path: string, body?: unknown, query?: Record<string, string | undefined>): Promise<T> {
    const res = await this.request(method, path, body, query);
    if (res.status >= 400) throw new ApiError(res.status, res.body);
    return res.body as T;
  }

  startTransfer(body: { certificateId: string; targetAccount: string; transferMessage?: string; timeoutSeconds?: number; restoreOnFailure?: boolean }) {
    return this.ok<TransferStarted>('POST', '/transfers', body);
  }

  getTransfer(transferId: string) {
    return this.ok<TransferView>('GET', `/transfers/${encodeURIComponent(transferId)}`);
  }

  listTransfers(query: { status?: string; certificateId?: string; targetAccount?: string; batchId?: string; nextToken?: string; limit?: string } = {}) {
    return this.ok<TransferPage>('GET', '/transfers', undefined, query);
  }

  cancelTransfer(transferId: string, reason?: string) {
    return this.ok<TransferCancelling>('DELETE', `/transfers/${encodeURIComponent(transferId)}`, reason ? { reason } : undefined);
  }

  /** POST /transfers/{transferId}/restore: repair a RESTORE_FAILED transfer. */
  repairTransfer(transferId: string) {
    return this.ok<TransferView>('POST', `/transfers/${encodeURIComponent(transferId)}/restore`);
  }

  startBatch(body: Record<string, unknown>) {
    return this.ok<BatchStarted>('POST', '/transfer-batches', body);
  }

  getBatch(batchId: string) {
    return this.ok<BatchView>('GET', `/transfer-batches/${encodeURIComponent(batchId)}`);
  }
}
