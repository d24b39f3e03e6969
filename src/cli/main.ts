import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { ApiError, TransferApiClient, type BatchStarted, type BatchView, type TransferSummaryView, type TransferView } from '../api-client.js';
import { DEMO_ACCOUNTS } from '../demo-accounts.js';
import { MAX_BATCH_BODY_IDS, MAX_BATCH_CONCURRENCY } from '../validation.js';
import { EXIT, UsageError, accountArg, durationArg, intArg, manifestArg, parseCertificateList, regionOfEndpoint } from './args.js';
import { doctorText, runDoctor } from './doctor.js';
import { GLOBAL_OPTIONS, OPTIONS, commandHelp, mainHelp, type HelpEntry, type Values } from './help.js';
import { localApiUrl, localAwsUrl, resolveCertificateId, resolveId } from './ids.js';
import { batchSummary, historyLine, isFinalStatus, outcomeLine, progressBar, repairedLine, restoreText, transferDetails, transferTable, type Writer } from './output.js';

/** What the CLI needs from the outside world; tests pass fakes. */
export interface CliDeps {
  stdout: Writer;
  stderr: Writer;
  stdin: AsyncIterable<string | Buffer> & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  readFile(path: string): Promise<string>;
  sleep(ms: number): Promise<void>;
  /** Builds the API client; default: SigV4 with the standard AWS credential chain. */
  makeClient?(opts: ClientOptions): ApiClient;
}

export type ApiClient = Pick<TransferApiClient, 'request' | 'startTransfer' | 'getTransfer' | 'listTransfers' | 'cancelTransfer' | 'repairTransfer' | 'startBatch' | 'getBatch'>;

export interface ClientOptions {
  endpoint: string;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
}

export const LOCAL_CREDENTIALS = { accessKeyId: DEMO_ACCOUNTS.source, secretAccessKey: 'x' };

interface Command extends HelpEntry {
  /** API request field → the argument that sets it, so an API error names what to fix. */
  fields?: Record<string, string>;
  run(ctx: Context, positionals: string[], v: Values): Promise<number>;
}

interface Context {
  deps: CliDeps;
  client(): ApiClient;
  /** What a printed follow-up command needs to reach the same API: ` --local`, ` --endpoint <url>` or nothing. */
  again: string;
  /** The local cloud's web console, when the CLI talks to the local cloud. */
  localConsole?: string;
  json: boolean;
  endpoint: string;
  /** Talking to the local cloud (--local): its AWS endpoint for checks made as other accounts. */
  local?: { events(account: string): EventBridgeClient };
  intervalMs: number;
  out(text: string): void;
  err(text: string): void;
}

const TRANSFER_FIELDS = {
  certificateId: '<certificateId>',
  targetAccount: '--to',
  transferMessage: '--message',
  timeoutSeconds: '--timeout',
  restoreOnFailure: '--no-restore',
  requestId: '--request-id',
  transferId: '<transferId>',
};

const COMMANDS: Record<string, Command> = {
  start: {
    usage: 'start <certificateId> --to <account> [--message <text>] [--timeout <duration>] [--no-restore] [--request-id <id>] [--wait]',
    summary: 'Transfer a certificate to another account; --wait follows it to its outcome',
    options: ['to', 'message', 'timeout', 'no-restore', 'request-id', 'wait'],
    examples: ['start <certificateId> --to 222222222222 --wait', 'start <certificateId> --to 333333333333 --message "Fleet A" --timeout 2d --request-id change-4711'],
    fields: TRANSFER_FIELDS,
    async run(ctx, [id, ...extra], v) {
      noExtra(extra);
      const targetAccount = accountArg(v.to, '--to');
      const timeoutSeconds = durationArg(v.timeout, '--timeout');
      const body = {
        certificateId: await resolveCertificateId(ctx.client(), id, '<certificateId>'),
        targetAccount,
        transferMessage: v.message,
        timeoutSeconds,
        restoreOnFailure: v['no-restore'] ? false : undefined,
        requestId: v['request-id'],
      };
      const response = await ctx.client().startTransfer(body);
      const started = ctx.json ? response : withConsole(ctx, response, 'transfer');
      const { transferId } = started;
      if (!v.wait) {
        if (ctx.json) ctx.out(JSON.stringify(started, null, 2));
        else
          ctx.out(
            `Transfer ${transferId} ${started.status}: ${body.certificateId} → ${body.targetAccount}\n  console  ${started.consoleUrl}\nFollow it: cert-transfer watch ${transferId}${ctx.again}`,
          );
        return EXIT.OK;
      }
      if (!ctx.json) ctx.out(`Transfer ${transferId}: ${body.certificateId} → ${body.targetAccount}\n  console  ${started.consoleUrl}`);
      const final = await follow(ctx, transferId, !ctx.json);
      if (ctx.json) ctx.out(JSON.stringify(final, null, 2));
      else ctx.out(outcomeLine(final));
      return final.status === 'ACCEPTED' ? EXIT.OK : EXIT.NOT_ACCEPTED;
    },
  },

  status: {
    usage: 'status <transferId>',
    summary: 'A transfer: status, history, restore outcome, console link',
    options: [],
    examples: ['status 0b6f2c1e-4d2a-4c55-9a1e-6f1f2b3c4d5e', 'status 0b6f2c1e --json'],
    fields: TRANSFER_FIELDS,
    async run(ctx, [id, ...extra]) {
      noExtra(extra);
      const t = await ctx.client().getTransfer(await transferIdArg(ctx, id));
      ctx.out(ctx.json ? JSON.stringify(t, null, 2) : transferDetails(withConsole(ctx, t, 'transfer')));
      return EXIT.OK;
    },
  },

  list: {
    usage: 'list [--status <status>] [--certificate <id>] [--to <account>] [--batch <batchId>] [--limit <n>] [--all] [--next-token <token>]',
    summary: 'Transfers, newest first',
    options: ['status', 'certificate', 'to', 'batch', 'limit', 'all', 'next-token'],
    examples: ['list --status AWAITING_DECISION', 'list --certificate 5c1ad9c3 --all', 'list --to 222222222222 --limit 100 --json'],
    optionHelp: { to: 'only transfers to this 12-digit account; default: all' },
    fields: { status: '--status', certificateId: '--certificate', targetAccount: '--to', batchId: '--batch', limit: '--limit', nextToken: '--next-token' },
    async run(ctx, extra, v) {
      noExtra(extra);
      const want = v.all ? Infinity : (intArg(v.limit, '--limit', 1, 10_000) ?? 20);
      const query = {
        status: v.status?.toUpperCase(),
        certificateId: v.certificate === undefined ? undefined : await resolveCertificateId(ctx.client(), v.certificate, '--certificate'),
        targetAccount: v.to === undefined ? undefined : accountArg(v.to, '--to'),
        batchId: v.batch === undefined ? undefined : await resolveId(ctx.client(), v.batch, '--batch', 'batchId'),
      };
      const items: TransferSummaryView[] = [];
      let nextToken = v['next-token'];
      do {
        const page = await ctx.client().listTransfers({ ...query, nextToken, limit: String(Math.min(100, Math.max(1, want - items.length))) });
        items.push(...page.items);
        nextToken = page.nextToken;
      } while (nextToken && items.length < want);
      if (ctx.json) ctx.out(JSON.stringify({ items, ...(nextToken ? { nextToken } : {}) }, null, 2));
      else {
        ctx.out(items.length ? transferTable(items) : 'No transfers match.');
        if (nextToken) ctx.out(`More: add --next-token ${nextToken} (or --all)`);
      }
      return EXIT.OK;
    },
  },

  cancel: {
    usage: 'cancel <transferId> [--reason <text>]',
    summary: "Cancel a transfer awaiting the target's decision; the certificate is restored",
    options: ['reason'],
    examples: ['cancel 0b6f2c1e --reason "wrong account"'],
    fields: { ...TRANSFER_FIELDS, reason: '--reason' },
    async run(ctx, [id, ...extra], v) {
      noExtra(extra);
      const res = await ctx.client().cancelTransfer(await transferIdArg(ctx, id), v.reason);
      ctx.out(ctx.json ? JSON.stringify(res, null, 2) : `Transfer ${res.transferId} ${res.status}: ${res.message}\nFollow it: cert-transfer watch ${res.transferId}${ctx.again}`);
      return EXIT.OK;
    },
  },

  repair: {
    usage: 'repair <transferId>',
    summary: "Restore a RESTORE_FAILED transfer's certificate again from its snapshot; once whole, it is released",
    options: [],
    examples: ['repair 0b6f2c1e-4d2a-4c55-9a1e-6f1f2b3c4d5e', 'list --status RESTORE_FAILED'],
    fields: TRANSFER_FIELDS,
    async run(ctx, [id, ...extra]) {
      noExtra(extra);
      const transferId = await transferIdArg(ctx, id);
      try {
        const t = await ctx.client().repairTransfer(transferId);
        ctx.out(ctx.json ? JSON.stringify(t, null, 2) : repairedLine(t));
        return EXIT.OK;
      } catch (e) {
        // Still not whole: say what is missing before the error line.
        if (e instanceof ApiError && e.body.restore) {
          if (ctx.json) ctx.out(JSON.stringify(e.body, null, 2));
          else ctx.err(`restore ${restoreText(e.body.restore) ?? ''}`);
        }
        throw e;
      }
    },
  },

  watch: {
    usage: 'watch <transferId>',
    summary: "Follow a transfer's state changes until it ends (exit 0 if ACCEPTED, 4 otherwise)",
    options: [],
    examples: ['watch 0b6f2c1e-4d2a-4c55-9a1e-6f1f2b3c4d5e', 'watch 0b6f2c1e --interval 5s'],
    fields: TRANSFER_FIELDS,
    async run(ctx, [id, ...extra]) {
      noExtra(extra);
      const final = await follow(ctx, await transferIdArg(ctx, id), true);
      if (!ctx.json) ctx.out(outcomeLine(final));
      return final.status === 'ACCEPTED' ? EXIT.OK : EXIT.NOT_ACCEPTED;
    },
  },

  batch: {
    usage: 'batch --to <account> (<file|-> | --manifest <s3://bucket/key>) [--message <text>] [--timeout <duration>] [--max-concurrency <n>] [--no-restore] [--request-id <id>] [--no-wait]',
    summary: "Transfer the certificates listed in a file (or stdin: -, up to 85000) or in a manifest in the stack's bucket (up to 100000), with a progress bar and a summary",
    options: ['to', 'message', 'timeout', 'no-restore', 'request-id', 'max-concurrency', 'no-wait', 'manifest'],
    examples: [
      'batch --to 222222222222 certificates.txt',
      'cut -f1 fleet.tsv | cert-transfer batch --to 222222222222 - --no-wait',
      'batch --to 222222222222 --manifest s3://<ManifestBucketName>/fleets/acme.txt',
    ],
    fields: { ...TRANSFER_FIELDS, certificateIds: '<file>', manifest: '--manifest', maxConcurrency: '--max-concurrency' },
    async run(ctx, [file, ...extra], v) {
      noExtra(extra);
      if (file && v.manifest !== undefined) throw new UsageError('give <file|-> or --manifest, not both');
      if (!file && v.manifest === undefined) throw new UsageError('<file|-> is required: a file of certificate ids, or - for stdin (or --manifest s3://bucket/key)');
      const targetAccount = accountArg(v.to, '--to');
      const body = {
        targetAccount,
        transferMessage: v.message,
        timeoutSeconds: durationArg(v.timeout, '--timeout'),
        maxConcurrency: intArg(v['max-concurrency'], '--max-concurrency', 1, MAX_BATCH_CONCURRENCY),
        restoreOnFailure: v['no-restore'] ? false : undefined,
        requestId: v['request-id'],
      };
      let started: BatchStarted;
      if (v.manifest !== undefined) {
        started = await ctx.client().startBatch({ ...body, manifest: manifestArg(v.manifest) });
      } else {
        const source = file === '-' ? 'stdin' : file;
        const certificateIds = parseCertificateList(await readInput(ctx, file), source);
        if (certificateIds.length > MAX_BATCH_BODY_IDS)
          throw new UsageError(
            `${source} lists ${certificateIds.length} certificates; a request body takes at most ${MAX_BATCH_BODY_IDS}: upload it to the stack's manifest bucket (aws s3 cp ${source} s3://<ManifestBucketName>/<key>) and give --manifest, or split it`,
          );
        started = await ctx.client().startBatch({ ...body, certificateIds });
      }
      const { batchId, total } = started;
      if (v['no-wait']) {
        ctx.out(
          ctx.json ? JSON.stringify(started, null, 2) : `Batch ${batchId} started: ${total} certificates → ${targetAccount}\nFollow it: cert-transfer batch-status ${batchId} --wait${ctx.again}`,
        );
        return EXIT.OK;
      }
      ctx.err(`Batch ${batchId}: ${total} certificates → ${targetAccount}`);
      const final = await followBatch(ctx, batchId);
      ctx.out(ctx.json ? JSON.stringify(final, null, 2) : batchSummary(withConsole(ctx, final, 'batch')));
      return final.status === 'COMPLETED' && final.accepted === final.total ? EXIT.OK : EXIT.NOT_ACCEPTED;
    },
  },

  'batch-status': {
    usage: 'batch-status <batchId> [--wait]',
    summary: "A batch's counts per status and its failures; --wait follows it to the end",
    options: ['wait'],
    examples: ['batch-status 9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f --wait'],
    fields: { batchId: '<batchId>' },
    async run(ctx, [id, ...extra], v) {
      noExtra(extra);
      const batchId = await resolveId(ctx.client(), id, '<batchId>', 'batchId');
      const batch = v.wait ? await followBatch(ctx, batchId) : await ctx.client().getBatch(batchId);
      ctx.out(ctx.json ? JSON.stringify(batch, null, 2) : `${batch.status === 'RUNNING' ? `${progressBar(batch)}\n` : ''}${batchSummary(withConsole(ctx, batch, 'batch'))}`);
      if (batch.status === 'RUNNING') return EXIT.OK;
      return batch.status === 'COMPLETED' && batch.accepted === batch.total ? EXIT.OK : EXIT.NOT_ACCEPTED;
    },
  },

  doctor: {
    usage: 'doctor',
    summary: 'Check the deployment end to end without moving a certificate: API, target buses and kits, the decision path, the reconciler (exit 0 when all pass, 5 otherwise)',
    options: [],
    examples: ['doctor --local', 'doctor --endpoint https://abc123.execute-api.eu-west-1.amazonaws.com/prod --profile ops'],
    async run(ctx, extra) {
      noExtra(extra);
      const client = ctx.client();
      const checks = await runDoctor({
        api: client,
        endpoint: ctx.endpoint,
        local: ctx.local ? { events: (account) => ctx.local!.events(account) } : undefined,
      });
      ctx.out(ctx.json ? JSON.stringify({ ok: checks.every((c) => c.ok), checks }, null, 2) : doctorText(checks));
      return checks.every((c) => c.ok) ? EXIT.OK : EXIT.CHECK_FAILED;
    },
  },
};

/** A transfer or batch id, or an unambiguous prefix of one (resolved through GET /transfers). */
function transferIdArg(ctx: Context, value: string | undefined): Promise<string> {
  return resolveId(ctx.client(), value, '<transferId>', 'transferId');
}

/** In the local cloud, the link printed goes to its web console, not to the AWS console (--json keeps the API's document). */
function withConsole<T extends { consoleUrl?: string; transferId?: string; batchId?: string }>(ctx: Context, item: T, kind: 'transfer' | 'batch'): T {
  if (!ctx.localConsole || !item.consoleUrl) return item;
  const url = kind === 'transfer' ? `${ctx.localConsole}/transfers/${item.transferId}` : `${ctx.localConsole}?batch=${item.batchId}`;
  return { ...item, consoleUrl: url };
}

function noExtra(extra: string[]): void {
  if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
}

async function readInput(ctx: Context, file: string): Promise<string> {
  if (file !== '-') {
    try {
      return await ctx.deps.readFile(file);
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (ctx.deps.stdin.isTTY) ctx.err('Reading certificate ids from stdin, one per line (Ctrl-D to end)…');
  let text = '';
  for await (const chunk of ctx.deps.stdin) text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
  return text;
}

/** Polls a call, riding out a few transient faults (network, 5xx) in a row. */
async function poll<T>(ctx: Context, call: () => Promise<T>): Promise<T> {
  for (let failures = 0; ; failures++) {
    try {
      return await call();
    } catch (err) {
      const transient = !(err instanceof ApiError) || err.status >= 500 || err.status === 429;
      if (!transient || failures >= 3) throw err;
      await ctx.deps.sleep(ctx.intervalMs);
    }
  }
}

/** Follows a transfer until it ends, printing each new history entry. */
async function follow(ctx: Context, transferId: string, print: boolean): Promise<TransferView> {
  let shown = 0;
  for (;;) {
    const t = await poll(ctx, () => ctx.client().getTransfer(transferId));
    const history = t.history ?? [];
    if (print) {
      for (const h of history.slice(shown)) ctx.out(ctx.json ? JSON.stringify({ transferId, ...h }) : historyLine(h));
    }
    shown = history.length;
    if (isFinalStatus(t.status)) return t;
    await ctx.deps.sleep(ctx.intervalMs);
  }
}

/** Follows a batch until it is no longer RUNNING, drawing the progress bar on stderr. */
async function followBatch(ctx: Context, batchId: string): Promise<BatchView> {
  const tty = Boolean(ctx.deps.stderr.isTTY);
  let last = '';
  for (;;) {
    const batch = await poll(ctx, () => ctx.client().getBatch(batchId));
    const bar = progressBar(batch);
    if (bar !== last) {
      // On a terminal the bar is redrawn in place; in a pipe or log, one line per change.
      ctx.deps.stderr.write(tty ? `\r\x1b[2K${bar}` : `${bar}\n`);
      last = bar;
    }
    if (batch.status !== 'RUNNING') {
      if (tty) ctx.deps.stderr.write('\n');
      return batch;
    }
    await ctx.deps.sleep(ctx.intervalMs);
  }
}

function intervalArg(value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const ms = value.match(/^(\d+)ms$/);
  if (ms) return Number(ms[1]);
  const seconds = durationArg(value, '--interval');
  if (!seconds) throw new UsageError(`--interval must be positive, got "${value}"`);
  return seconds! * 1000;
}

function help(): string {
  return mainHelp(COMMANDS);
}

/** `--to: targetAccount must be …`: the API's field, as the argument that sets it. */
function describeApiError(err: ApiError, fields: Record<string, string> = {}): string {
  const field = typeof err.body.field === 'string' ? err.body.field : undefined;
  const arg = field ? fields[field.split('.')[0]] : undefined;
  const extra = [
    typeof err.body.currentStatus === 'string' ? `current status ${err.body.currentStatus}` : undefined,
    typeof err.body.openTransferId === 'string' ? `open transfer ${err.body.openTransferId}` : undefined,
    typeof err.body.requestId === 'string' ? `request id ${err.body.requestId}` : undefined,
  ].filter(Boolean);
  return `${arg ? `${arg}: ` : ''}${err.message} (HTTP ${err.status} ${err.name}${extra.length ? `; ${extra.join('; ')}` : ''})`;
}

function networkError(err: unknown, endpoint: string): string | undefined {
  if (!(err instanceof TypeError) || !/fetch failed/i.test(err.message)) return undefined;
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? cause?.message ?? 'network error';
  const local = /127\.0\.0\.1|localhost/.test(endpoint);
  return `cannot reach ${endpoint} (${code})${local ? ': is the local cloud running (npm start)?' : ''}`;
}

function defaultDeps(): CliDeps {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    readFile: (path) => readFile(path, 'utf8'),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}

/** Runs `cert-transfer` with these arguments; resolves with the exit code. */
export async function main(argv: string[], partial: Partial<CliDeps> = {}): Promise<number> {
  const deps = { ...defaultDeps(), ...partial };
  const err = (text: string) => deps.stderr.write(`${text}\n`);
  let endpoint = '';
  let command: Command | undefined;
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError((e as Error).message.replace(/\. To specify a positional argument.*$/s, ''));
    }
    const v = parsed.values as Values;
    const [name, ...positionals] = parsed.positionals;
    if (v.version) {
      deps.stdout.write('cert-transfer 0.1.0\n');
      return EXIT.OK;
    }
    if (!name) {
      (v.help ? deps.stdout : deps.stderr).write(`${help()}\n`);
      return v.help ? EXIT.OK : EXIT.USAGE;
    }
    command = COMMANDS[name];
    if (!command) throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(', ')}`);
    if (v.help) {
      deps.stdout.write(`${commandHelp(command)}\n`);
      return EXIT.OK;
    }
    const allowed = new Set([...GLOBAL_OPTIONS, ...command.options]);
    const misplaced = Object.keys(v).find((k) => !allowed.has(k));
    if (misplaced) throw new UsageError(`--${misplaced} is not an option of ${name} (usage: cert-transfer ${command.usage})`);
    if (v.local && v.endpoint) throw new UsageError('give --endpoint or --local, not both');

    endpoint = v.endpoint ?? (v.local ? localApiUrl(deps.env) : (deps.env.CERT_TRANSFER_ENDPOINT ?? ''));
    const local = Boolean(v.local);
    const region = () => v.region ?? deps.env.AWS_REGION ?? deps.env.AWS_DEFAULT_REGION ?? (endpoint ? regionOfEndpoint(endpoint) : undefined) ?? 'us-east-1';
    const intervalMs = intervalArg(v.interval, local || /127\.0\.0\.1|localhost/.test(endpoint) ? 500 : 2000);
    let client: ApiClient | undefined;
    const ctx: Context = {
      deps,
      // A printed follow-up command must reach the same API as this one.
      again: local ? ' --local' : v.endpoint ? ` --endpoint ${v.endpoint}` : '',
      localConsole: local ? `${endpoint}/console` : undefined,
      endpoint,
      local: local
        ? {
            events: (account) => new EventBridgeClient({ endpoint: localAwsUrl(deps.env), region: region(), credentials: { accessKeyId: account, secretAccessKey: 'x' } }),
          }
        : undefined,
      json: Boolean(v.json),
      intervalMs,
      out: (text) => deps.stdout.write(`${text}\n`),
      err,
      client() {
        if (client) return client;
        if (!endpoint) throw new UsageError("no API endpoint: pass --endpoint <url> (the deployed stack's ServiceEndpoint), set CERT_TRANSFER_ENDPOINT, or use --local");
        let url: URL;
        try {
          url = new URL(endpoint);
        } catch {
          throw new UsageError(`--endpoint must be a URL like https://abc123.execute-api.us-east-1.amazonaws.com/dev, got "${endpoint}"`);
        }
        const credentials = local && !deps.env.AWS_ACCESS_KEY_ID && !deps.env.AWS_PROFILE && !v.profile ? LOCAL_CREDENTIALS : fromNodeProviderChain(v.profile ? { profile: v.profile } : {});
        const opts = { endpoint: url.href, region: region(), credentials };
        client = deps.makeClient ? deps.makeClient(opts) : new TransferApiClient(opts);
        return client;
      },
    };
    return await command.run(ctx, positionals, v);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`cert-transfer: ${e.message}`);
      if (!command) err('Run cert-transfer --help for the commands.');
      return EXIT.USAGE;
    }
    if (e instanceof ApiError) {
      err(`cert-transfer: ${describeApiError(e, command?.fields)}`);
      return EXIT.API;
    }
    const unreachable = networkError(e, endpoint);
    if (unreachable) {
      err(`cert-transfer: ${unreachable}`);
      return EXIT.API;
    }
    if (e instanceof Error && (e.name === 'CredentialsProviderError' || /credential/i.test(e.message))) {
      err(`cert-transfer: no AWS credentials: ${e.message} (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or use --local)`);
      return EXIT.API;
    }
    err(`cert-transfer: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT.INTERNAL;
  }
}
