import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src/api-client.js';
import { LOCAL_CREDENTIALS } from '../../../src/cli/main.js';
import { cli } from '../../support/cli.js';
import { durationArg, parseCertificateList, regionOfEndpoint, UsageError } from '../../../src/cli/args.js';
import { progressBar } from '../../../src/cli/output.js';

const CERT = 'ab'.repeat(32);
const CERT2 = 'cd'.repeat(32);
const TID = '0b6f2c1e-4d2a-4c55-9a1e-6f1f2b3c4d5e';
const BID = '9f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f';

type Json = Record<string, unknown>;

const stdinOf = (text: string) =>
  Object.assign(
    (async function* () {
      yield Buffer.from(text);
    })(),
    { isTTY: false },
  );

/** GET /transfers/{id} answers in sequence, the last one repeating. */
function sequence<T>(...answers: T[]) {
  let i = 0;
  return async () => answers[Math.min(i++, answers.length - 1)];
}

const history = (...statuses: string[]) => statuses.map((status, i) => ({ at: `2026-11-22T12:00:0${i}.000Z`, status, message: `now ${status}` }));
const transfer = (status: string, statuses: string[], extra: Json = {}) => ({
  transferId: TID,
  certificateId: CERT,
  sourceAccount: '111111111111',
  targetAccount: '222222222222',
  status,
  history: history(...statuses),
  consoleUrl: 'https://console/x',
  ...extra,
});

describe('cert-transfer arguments', () => {
  it.each([
    ['90', 90],
    ['90s', 90],
    ['15m', 900],
    ['12h', 43_200],
    ['7d', 604_800],
    ['1h30m', 5400],
    ['2w', 1_209_600],
  ])('duration %s is %i s', (text, seconds) => {
    expect(durationArg(text, '--timeout')).toBe(seconds);
  });

  it.each(['7 days', '1.5h', 'h', '-5', '5y'])('rejects the duration "%s", naming the option', (text) => {
    expect(() => durationArg(text, '--timeout')).toThrow(/^--timeout must be a duration/);
  });

  it('reads certificate lists with comments, commas and blank lines', () => {
    expect(parseCertificateList(`# fleet A\n${CERT}\n\n${CERT2.toUpperCase()}, ${'ef'.repeat(32)}  # last\n`, 'ids.txt')).toEqual([CERT, CERT2, 'ef'.repeat(32)]);
  });

  it.each([
    [`${CERT}\nnot-an-id\n`, 'ids.txt:2: "not-an-id" is not a certificate id'],
    [`${CERT}\n${CERT}\n`, 'ids.txt:2: certificate'],
    ['# nothing\n', 'ids.txt lists no certificate id'],
  ])('refuses a bad list, naming the line', (text, message) => {
    expect(() => parseCertificateList(text, 'ids.txt')).toThrow(UsageError);
    expect(() => parseCertificateList(text, 'ids.txt')).toThrow(message);
  });

  it('takes the region from an API Gateway endpoint', () => {
    expect(regionOfEndpoint('https://abc123.execute-api.eu-west-1.amazonaws.com/dev')).toBe('eu-west-1');
    expect(regionOfEndpoint('http://127.0.0.1:3000')).toBeUndefined();
  });

  it('draws the batch progress bar from the counts', () => {
    expect(progressBar({ total: 4, done: 2, counts: { ACCEPTED: 1, NOT_STARTED: 1, AWAITING_DECISION: 2 } }, 8)).toBe('[####----] 2/4  accepted 1 · not started 1 · in flight 2');
  });
});

describe('cert-transfer usage errors (exit 2, nothing sent)', () => {
  it.each([
    [['start', 'not-an-id', '--to', '222222222222', '--local'], '<certificateId> must be 64 hexadecimal'],
    [['start', 'abc', '--to', '222222222222', '--local'], '<certificateId> "abc" is too short: give at least 4 characters'],
    [['start', CERT, '--local'], '--to <account> is required'],
    [['start', CERT, '--to', '2222', '--local'], '--to must be a 12-digit AWS account id'],
    [['start', CERT, '--to', '222222222222', '--timeout', 'soon', '--local'], '--timeout must be a duration'],
    [['start', CERT, '--to', '222222222222', '--force', '--local'], "Unknown option '--force'"],
    [['status', TID, '--to', '222222222222', '--local'], '--to is not an option of status'],
    [['status', 'nope', '--local'], '<transferId> must be an id'],
    [['list', '--limit', '0', '--local'], '--limit must be a whole number'],
    [['batch', '--to', '222222222222', '--local'], '<file|-> is required'],
    [['batch', '--to', '222222222222', 'missing.txt', '--local'], 'cannot read missing.txt: ENOENT'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['status', TID], 'no API endpoint'],
    [['status', TID, '--local', '--endpoint', 'http://x'], 'not both'],
    [['status', TID, '--endpoint', 'not a url'], '--endpoint must be a URL'],
  ])('%j', async (argv, message) => {
    const run = await cli(argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.calls).toHaveLength(0);
    expect(run.stdout).toBe('');
  });

  it('prints the commands with --help (exit 0) and without a command (exit 2)', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    for (const c of ['start', 'status', 'list', 'cancel', 'watch', 'batch']) expect(help.stdout).toContain(`  ${c} `);
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: cert-transfer <command>');
  });
});

describe('cert-transfer against the API', () => {
  it('--local signs as 111111111111 against 127.0.0.1 (LOCAL_API_PORT), unless credentials are set', async () => {
    const api = { getTransfer: async () => transfer('ACCEPTED', ['REQUESTED', 'ACCEPTED']) };
    const local = await cli(['status', TID, '--local'], api, { env: { LOCAL_API_PORT: '3999' } });
    expect(local.clientOptions[0]).toEqual({ endpoint: 'http://127.0.0.1:3999/', region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    const own = await cli(['status', TID, '--local'], api, { env: { AWS_ACCESS_KEY_ID: '111111111111', AWS_SECRET_ACCESS_KEY: 'y', AWS_REGION: 'eu-west-1' } });
    expect(own.clientOptions[0].credentials).not.toEqual(LOCAL_CREDENTIALS);
    expect(own.clientOptions[0]).toMatchObject({ endpoint: 'http://127.0.0.1:3000/', region: 'eu-west-1' });
    const deployed = await cli(['status', TID, '--endpoint', 'https://abc.execute-api.eu-central-1.amazonaws.com/prod'], api);
    expect(deployed.clientOptions[0]).toMatchObject({ endpoint: 'https://abc.execute-api.eu-central-1.amazonaws.com/prod', region: 'eu-central-1' });
  });

  it('start sends the request and tells how to follow it', async () => {
    const run = await cli(['start', CERT.toUpperCase(), '--to', '222222222222', '--message', 'hello', '--timeout', '2d', '--no-restore', '--request-id', 'chg-1', '--local'], {
      startTransfer: async () => ({ transferId: TID, status: 'REQUESTED', executionArn: 'arn', consoleUrl: 'https://console/x' }),
    });
    expect(run.code).toBe(0);
    expect(run.calls[0]).toEqual({
      method: 'startTransfer',
      args: [{ certificateId: CERT, targetAccount: '222222222222', transferMessage: 'hello', timeoutSeconds: 172_800, restoreOnFailure: false, requestId: 'chg-1' }],
    });
    expect(run.stdout).toContain(`Transfer ${TID} REQUESTED`);
    expect(run.stdout).toContain(`cert-transfer watch ${TID}`);
  });

  it('start --wait prints each state change and the outcome; exit 0 when ACCEPTED', async () => {
    const run = await cli(['start', CERT, '--to', '222222222222', '--wait', '--local'], {
      startTransfer: async () => ({ transferId: TID, status: 'REQUESTED', consoleUrl: 'https://console/x' }),
      getTransfer: sequence(
        transfer('REQUESTED', ['REQUESTED']),
        transfer('AWAITING_DECISION', ['REQUESTED', 'PREPARING', 'AWAITING_DECISION']),
        transfer('ACCEPTED', ['REQUESTED', 'PREPARING', 'AWAITING_DECISION', 'ACCEPTED']),
      ),
    });
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.filter((l) => /now (REQUESTED|PREPARING|AWAITING_DECISION|ACCEPTED)/.test(l))).toHaveLength(4);
    expect(lines.at(-1)).toBe('Outcome: ACCEPTED');
  });

  it('watch ends with exit 4 and the reason when the transfer is not accepted', async () => {
    const run = await cli(['watch', TID, '--local'], {
      getTransfer: async () => transfer('REJECTED', ['REQUESTED', 'REJECTED'], { reason: 'Not our devices', restore: { status: 'RESTORED', reattachedPolicies: ['p1'], reactivated: true } }),
    });
    expect(run.code).toBe(4);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('Outcome: REJECTED (Not our devices; restore RESTORED (policies p1; re-activated))');
  });

  it('watch rides out a transient API fault', async () => {
    let n = 0;
    const run = await cli(['watch', TID, '--local'], {
      getTransfer: async () => {
        if (n++ === 0) throw new ApiError(502, { message: 'Internal server error' });
        return transfer('ACCEPTED', ['REQUESTED', 'ACCEPTED']);
      },
    });
    expect(run.code).toBe(0);
  });

  it('an API refusal is exit 3, naming the option that set the field', async () => {
    const run = await cli(['start', CERT, '--to', '222222222222', '--timeout', '10', '--local'], {
      startTransfer: async () => {
        throw new ApiError(400, { error: 'ValidationError', field: 'timeoutSeconds', message: 'timeoutSeconds must be an integer from 60 to 31536000' });
      },
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toBe('cert-transfer: --timeout: timeoutSeconds must be an integer from 60 to 31536000 (HTTP 400 ValidationError)\n');
  });

  it('a conflict says which transfer is open', async () => {
    const run = await cli(['start', CERT, '--to', '222222222222', '--local'], {
      startTransfer: async () => {
        throw new ApiError(409, { error: 'TransferInProgress', field: 'certificateId', message: 'Certificate already has an open transfer', openTransferId: TID });
      },
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`<certificateId>: Certificate already has an open transfer (HTTP 409 TransferInProgress; open transfer ${TID})`);
  });

  it('an unreachable API is exit 3 with a hint', async () => {
    const run = await cli(['status', TID, '--local'], {
      getTransfer: async () => {
        throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
      },
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('cannot reach http://127.0.0.1:3000 (ECONNREFUSED): is the local cloud running (npm start)?');
  });

  it('status --json prints the API document as is', async () => {
    const doc = transfer('AWAITING_DECISION', ['REQUESTED', 'AWAITING_DECISION']);
    const run = await cli(['status', TID, '--json', '--local'], { getTransfer: async () => doc });
    expect(JSON.parse(run.stdout)).toEqual(doc);
  });

  it('list pages until --limit, passes the filters, and offers the next token', async () => {
    const item = (i: number) => ({ transferId: TID, certificateId: CERT, status: 'ACCEPTED', targetAccount: '222222222222', createdAt: `2026-11-22T12:00:0${i}Z` });
    const run = await cli(['list', '--status', 'accepted', '--to', '222222222222', '--batch', BID, '--limit', '3', '--json', '--local'], {
      listTransfers: sequence({ items: [item(1), item(2)], nextToken: 't1' }, { items: [item(3), item(4)], nextToken: 't2' }),
    });
    expect(run.code).toBe(0);
    expect(run.calls.map((c) => c.args[0])).toEqual([
      { status: 'ACCEPTED', certificateId: undefined, targetAccount: '222222222222', batchId: BID, nextToken: undefined, limit: '3' },
      { status: 'ACCEPTED', certificateId: undefined, targetAccount: '222222222222', batchId: BID, nextToken: 't1', limit: '1' },
    ]);
    expect(JSON.parse(run.stdout)).toEqual({ items: [item(1), item(2), item(3), item(4)], nextToken: 't2' });
  });

  it('cancel passes the reason', async () => {
    const run = await cli(['cancel', TID, '--reason', 'wrong account', '--local'], {
      cancelTransfer: async () => ({ transferId: TID, status: 'CANCELLING', message: 'The offer is being withdrawn' }),
    });
    expect(run.code).toBe(0);
    expect(run.calls[0].args).toEqual([TID, 'wrong account']);
    expect(run.stdout).toContain(`Transfer ${TID} CANCELLING`);
  });

  it('batch reads ids from stdin, shows progress on stderr, and ends with the summary; exit 4 if any was not accepted', async () => {
    const counts = (c: Json) => ({ PENDING: 0, NOT_STARTED: 0, REQUESTED: 0, PREPARING: 0, AWAITING_DECISION: 0, ACCEPTED: 0, REJECTED: 0, CANCELLED: 0, EXPIRED: 0, FAILED: 0, ...c });
    const run = await cli(
      ['batch', '--to', '222222222222', '-', '--max-concurrency', '5', '--local'],
      {
        startBatch: async () => ({ batchId: BID, status: 'RUNNING', total: 2 }),
        getBatch: sequence(
          { batchId: BID, status: 'RUNNING', total: 2, done: 0, counts: counts({ PENDING: 2 }) },
          { batchId: BID, status: 'RUNNING', total: 2, done: 1, counts: counts({ ACCEPTED: 1, PREPARING: 1 }) },
          {
            batchId: BID,
            status: 'COMPLETED',
            total: 2,
            done: 2,
            accepted: 1,
            targetAccount: '222222222222',
            counts: counts({ ACCEPTED: 1, NOT_STARTED: 1 }),
            failures: [{ certificateId: CERT2, status: 'NOT_STARTED', error: 'CertificateNotFound', reason: 'Certificate was not found' }],
            consoleUrl: 'https://console/b',
          },
        ),
      },
      { stdin: stdinOf(`${CERT}\n${CERT2}\n`) },
    );

    expect(run.code).toBe(4);
    expect(run.calls[0]).toEqual({
      method: 'startBatch',
      args: [
        { targetAccount: '222222222222', transferMessage: undefined, timeoutSeconds: undefined, maxConcurrency: 5, restoreOnFailure: undefined, requestId: undefined, certificateIds: [CERT, CERT2] },
      ],
    });
    const progress = run.stderr.split('\n').filter((l) => l.startsWith('['));
    expect(progress).toEqual(['[------------------------] 0/2  accepted 0', '[############------------] 1/2  accepted 1 · in flight 1', '[########################] 2/2  accepted 1 · not started 1']);
    expect(run.stdout).toContain(`Batch ${BID} COMPLETED: 1 of 2 accepted by 222222222222`);
    expect(run.stdout).toMatch(new RegExp(`${CERT2}\\s+NOT_STARTED\\s+CertificateNotFound: Certificate was not found`));
  });

  it('batch refuses more than 85,000 ids before calling the API', async () => {
    const ids = Array.from({ length: 85_001 }, (_, i) => i.toString(16).padStart(64, '0')).join('\n');
    const run = await cli(['batch', '--to', '222222222222', '-', '--local'], {}, { stdin: stdinOf(ids) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("stdin lists 85001 certificates; a request body takes at most 85000: upload it to the stack's manifest bucket");
    expect(run.stderr).toContain('--manifest');
  });

  it.each([
    ['s3://certificate-transfer-prod-manifestbucket-a1b2/fleets/acme 2026.txt', { bucket: 'certificate-transfer-prod-manifestbucket-a1b2', key: 'fleets/acme 2026.txt' }],
    ['fleets/acme.txt', { key: 'fleets/acme.txt' }],
  ])('batch --manifest %s sends the manifest, not ids, and follows the batch by its total', async (manifest, expected) => {
    const run = await cli(['batch', '--to', '222222222222', '--manifest', manifest, '--no-wait', '--local'], {
      startBatch: async () => ({ batchId: BID, status: 'RUNNING', total: 90_000 }),
    });
    expect(run.code).toBe(0);
    expect(run.calls).toHaveLength(1);
    expect(run.calls[0].args[0]).toMatchObject({ targetAccount: '222222222222', manifest: expected });
    expect(run.calls[0].args[0]).not.toHaveProperty('certificateIds');
    expect(run.stdout).toContain(`Batch ${BID} started: 90000 certificates → 222222222222`);
  });

  it.each([
    [['batch', '--to', '222222222222', 'ids.txt', '--manifest', 'a.txt', '--local'], 'give <file|-> or --manifest, not both'],
    [['batch', '--to', '222222222222', '--manifest', 's3://bucket-only', '--local'], '--manifest must be s3://<bucket>/<key>'],
    [['batch', '--to', '222222222222', '--manifest', 's3://bucket/', '--local'], '--manifest must be s3://<bucket>/<key>'],
  ])('batch refuses %j before calling the API (exit 2)', async (argv, message) => {
    const run = await cli(argv);
    expect(run.code).toBe(2);
    expect(run.calls).toHaveLength(0);
    expect(run.stderr).toContain(message);
  });
});

describe('cert-transfer <command> --help', () => {
  const OPTIONS: Record<string, string[]> = {
    start: ['--to <account>', '--message <text>', '--timeout <duration>', '--no-restore', '--request-id <id>', '--wait'],
    status: [],
    list: ['--status <status>', '--certificate <id>', '--to <account>', '--batch <batchId>', '--limit <n>', '--all', '--next-token <token>'],
    cancel: ['--reason <text>'],
    repair: [],
    watch: [],
    batch: ['--to <account>', '--message <text>', '--timeout <duration>', '--max-concurrency <n>', '--no-restore', '--request-id <id>', '--no-wait', '--manifest <s3://bucket/key|key>'],
    'batch-status': ['--wait'],
    doctor: [],
  };

  it.each(Object.entries(OPTIONS))('%s lists every option with its default, the global options, and examples', async (command, options) => {
    const run = await cli([command, '--help']);

    expect(run.code).toBe(0);
    for (const option of [...options, '--endpoint <url>', '--local', '--region <region>', '--profile <name>', '--json', '--interval <time>']) {
      const line = run.stdout.split('\n').find((l) => l.trimStart().startsWith(`${option} `) || l.trim() === option);
      expect(line, `${command}: ${option}`).toBeDefined();
      if (!/--to |--to$/.test(option) || command === 'list') expect(line, `${command}: ${option} says its default`).toMatch(/default|required/);
    }
    expect(run.stdout).toMatch(new RegExp(`Examples:\\n  (.*\\| )?cert-transfer ${command} `));
    expect(run.calls).toHaveLength(0);
  });
});

describe('cert-transfer in local mode', () => {
  it('keeps --local in the follow-up command it prints, and links to the local console', async () => {
    const run = await cli(
      ['start', CERT, '--to', '222222222222', '--local'],
      {
        startTransfer: async () => ({ transferId: TID, status: 'REQUESTED', consoleUrl: 'https://us-east-1.console.aws.amazon.com/states/home' }),
      },
      { env: { LOCAL_API_PORT: '3022' } },
    );

    expect(run.stdout).toContain(`Follow it: cert-transfer watch ${TID} --local`);
    expect(run.stdout).toContain(`console  http://127.0.0.1:3022/console/transfers/${TID}`);
    expect(run.stdout).not.toContain('console.aws.amazon.com');
  });

  it('keeps --endpoint in the follow-up command when one was given', async () => {
    const run = await cli(['cancel', TID, '--endpoint', 'https://abc.execute-api.eu-west-1.amazonaws.com/prod'], {
      cancelTransfer: async () => ({ transferId: TID, status: 'CANCELLING', message: 'on its way' }),
    });

    expect(run.stdout).toContain(`Follow it: cert-transfer watch ${TID} --endpoint https://abc.execute-api.eu-west-1.amazonaws.com/prod`);
  });

  it('list prints full certificate ids', async () => {
    const run = await cli(['list', '--local'], { listTransfers: async () => ({ items: [transfer('ACCEPTED', ['ACCEPTED'])] }) });

    expect(run.stdout).toContain(CERT);
  });
});

describe('cert-transfer id prefixes', () => {
  const OTHER = '0b6f9999-4d2a-4c55-9a1e-6f1f2b3c4d5e';
  const page = async () => ({ items: [transfer('ACCEPTED', ['ACCEPTED']), transfer('REJECTED', ['REJECTED'], { transferId: OTHER, certificateId: CERT2 })] });

  it('resolves an unambiguous transfer id prefix through the list', async () => {
    const run = await cli(['status', '0b6f2c', '--local'], { listTransfers: page, getTransfer: async () => transfer('ACCEPTED', ['ACCEPTED']) });

    expect(run.code).toBe(0);
    expect(run.calls.find((c) => c.method === 'getTransfer')?.args).toEqual([TID]);
  });

  it('refuses an ambiguous prefix, naming the candidates (exit 2, nothing else asked)', async () => {
    const run = await cli(['watch', '0b6f', '--local'], { listTransfers: page });

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`<transferId>: "0b6f" is ambiguous, 2 transfer ids start with it: ${TID}, ${OTHER}; give more characters`);
    expect(run.calls.map((c) => c.method)).toEqual(['listTransfers']);
  });

  it('resolves a certificate prefix for --certificate, and says when none matches', async () => {
    const found = await cli(['list', '--certificate', 'cdcd', '--local'], { listTransfers: page });
    expect(found.calls.at(-1)?.args[0]).toMatchObject({ certificateId: CERT2 });

    const none = await cli(['list', '--certificate', 'ffff', '--local'], { listTransfers: page });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--certificate: no certificate id among the transfers starts with "ffff"; give the full certificate id');
  });

  it('takes a full id as given, without a lookup', async () => {
    const run = await cli(['status', TID, '--local'], { getTransfer: async () => transfer('ACCEPTED', ['ACCEPTED']) });

    expect(run.calls.map((c) => c.method)).toEqual(['getTransfer']);
  });
});
