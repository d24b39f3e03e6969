import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { doctorText, runDoctor, scheduleMs, type DoctorDeps } from '../../../src/cli/doctor.js';
import { main, type ApiClient } from '../../../src/cli/main.js';

const SOURCE = '111111111111';
const AUTO = '222222222222';
const HUMAN = '333333333333';
const NOW = Date.parse('2026-11-22T12:00:00.000Z');
const OFFER_PATTERN = JSON.stringify({ source: ['iot.certificate-transfer'], 'detail-type': ['Certificate Transfer Offered', 'Certificate Transfer Ping'] });

const eb = mockClient(EventBridgeClient);

type Answer = { status: number; body: Record<string, unknown> };
const pong = (account: string, over: Record<string, unknown> = {}) => ({
  targetAccount: account,
  bus: `arn:aws:events:us-east-1:${account}:event-bus/certificate-transfer-target-local`,
  pingId: crypto.randomUUID(),
  sentAt: '2026-11-22T11:59:59.000Z',
  delivered: true,
  pongAt: '2026-11-22T11:59:59.400Z',
  roundTripMs: 400,
  acceptancePolicy: 'auto-accept',
  ...over,
});
const report = (over: Record<string, unknown> = {}) => ({
  sourceAccount: SOURCE,
  targets: [pong(AUTO), pong(HUMAN, { acceptancePolicy: 'notify-only' })],
  reconciler: { lastRunAt: '2026-11-22T11:59:30.000Z', schedule: 'rate(1 minute)' },
  ...over,
});

/** An API that answers GET /transfers and POST /pings as scripted, recording what was asked. */
function api(answers: { list?: Answer; pings?: Answer } = {}) {
  const calls: string[] = [];
  const client: DoctorDeps['api'] = {
    request: async (method: string, path: string) => {
      calls.push(`${method} ${path}`);
      if (method === 'GET' && path === '/transfers') return answers.list ?? { status: 200, body: { items: [] } };
      if (method === 'POST' && path === '/pings') return answers.pings ?? { status: 200, body: report() };
      throw new Error(`unexpected ${method} ${path}`);
    },
  };
  return { client, calls };
}

const deps = (client: DoctorDeps['api'], local = true): DoctorDeps => ({
  api: client,
  endpoint: 'http://127.0.0.1:3000',
  local: local ? { events: () => new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }) } : undefined,
  now: () => NOW,
});

beforeEach(() => {
  eb.reset();
  eb.on(ListRulesCommand).resolves({ Rules: [{ Name: 'certificate-transfer-target-local-responder-rule-1', State: 'ENABLED', EventPattern: OFFER_PATTERN }] });
});

describe('cert-transfer doctor', () => {
  it('passes when the API answers, every target takes the Ping and answers a Pong, and the reconciler ran', async () => {
    const { client, calls } = api();

    const checks = await runDoctor(deps(client));

    expect(checks.every((c) => c.ok)).toBe(true);
    expect(checks.map((c) => c.name)).toEqual([
      'API answers and your credentials may call it',
      `${AUTO}: its bus accepts events from ${SOURCE}`,
      `${AUTO}: target kit's rule for offers and pings`,
      `${AUTO}: decision path returns (Ping answered by a Pong)`,
      `${HUMAN}: its bus accepts events from ${SOURCE}`,
      `${HUMAN}: target kit's rule for offers and pings`,
      `${HUMAN}: decision path returns (Ping answered by a Pong)`,
      'Reconciler ran recently',
    ]);
    expect(calls).toEqual(['GET /transfers', 'POST /pings']);
    expect(eb).toHaveReceivedCommandWith(ListRulesCommand, { EventBusName: 'certificate-transfer-target-local' });
    expect(doctorText(checks)).toMatch(/All 8 checks passed\.$/);
  });

  it("reads no target account's rules when deployed: the Pong stands for the rule", async () => {
    const checks = await runDoctor(deps(api().client, false));

    expect(checks.every((c) => c.ok)).toBe(true);
    expect(eb).not.toHaveReceivedCommand(ListRulesCommand);
  });

  it('stops at a 403 and says which permission the caller lacks', async () => {
    const { client, calls } = api({ list: { status: 403, body: { message: 'User: arn:aws:iam::111111111111:user/ops is not authorized to perform: execute-api:Invoke' } } });

    const checks = await runDoctor(deps(client, false));

    expect(calls).toEqual(['GET /transfers']);
    expect(checks).toEqual([
      expect.objectContaining({
        ok: false,
        detail: expect.stringContaining('403: User: arn:aws:iam::111111111111:user/ops is not authorized'),
        fix: expect.stringContaining('allow execute-api:Invoke'),
      }),
    ]);
  });

  it('fails, with how to start it, when the local cloud does not answer', async () => {
    const down: DoctorDeps['api'] = {
      request: async () => {
        throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
      },
    };

    const checks = await runDoctor(deps(down));

    expect(checks).toEqual([expect.objectContaining({ ok: false, detail: 'no answer from http://127.0.0.1:3000: ECONNREFUSED', fix: expect.stringContaining('npm start') })]);
  });

  it('says the source stack predates doctor when POST /pings is missing', async () => {
    const checks = await runDoctor(deps(api({ pings: { status: 403, body: { message: 'Missing Authentication Token' } } }).client));

    expect(checks[1]).toMatchObject({ ok: false, name: 'POST /pings answers', fix: expect.stringContaining('deploy this version of serverless.yml') });
  });

  it('names a target whose bus refuses the Ping, with the allowedSourceAccounts fix, and checks no Pong for it', async () => {
    const refused = pong(AUTO, { delivered: false, error: 'AccessDeniedException: not authorized', pongAt: undefined });
    const checks = await runDoctor(deps(api({ pings: { status: 200, body: report({ targets: [refused] }) } }).client, false));

    const bus = checks.find((c) => c.name.startsWith(`${AUTO}: its bus`));
    expect(bus).toMatchObject({ ok: false, detail: expect.stringContaining('AccessDeniedException'), fix: expect.stringContaining(`--param allowedSourceAccounts=${SOURCE}`) });
    expect(checks.some((c) => c.name.includes('decision path'))).toBe(false);
  });

  it('tells a missing bus from a refusing one: deploy the target kit', async () => {
    const missing = pong(AUTO, { delivered: false, error: 'ResourceNotFoundException: Event bus certificate-transfer does not exist.', pongAt: undefined });
    const checks = await runDoctor(deps(api({ pings: { status: 200, body: report({ targets: [missing] }) } }).client, false));

    expect(checks[1].fix).toMatch(/^deploy the target kit in 222222222222 \(serverless deploy -c serverless.target.yml/);
  });

  it('fails the decision path of a target that sent no Pong, and its rule check when the rule is gone (local)', async () => {
    eb.on(ListRulesCommand).resolves({ Rules: [] });
    const silent = pong(AUTO, { pongAt: undefined, roundTripMs: undefined });

    const checks = await runDoctor(deps(api({ pings: { status: 200, body: report({ targets: [silent] }) } }).client));
    const text = doctorText(checks);

    expect(text).toContain(`✗ ${AUTO}: target kit's rule for offers and pings: no rule on ${AUTO}'s certificate-transfer-target-local bus matches Certificate Transfer Offered`);
    expect(text).toContain(`✗ ${AUTO}: decision path returns (Ping answered by a Pong): no Pong from ${AUTO}`);
    expect(text).toContain(`    fix: deploy the target kit in ${AUTO}`);
    expect(text).toMatch(/2 of 5 checks failed\.$/);
  });

  it('fails a kit whose rule predates Ping, or is disabled', async () => {
    eb.on(ListRulesCommand).resolves({ Rules: [{ Name: 'r1', State: 'ENABLED', EventPattern: JSON.stringify({ 'detail-type': ['Certificate Transfer Offered'] }) }] });
    const old = await runDoctor(deps(api().client));
    expect(old.find((c) => c.name.startsWith(`${AUTO}: target kit`))).toMatchObject({ ok: false, detail: 'rule r1 does not match Certificate Transfer Ping: the kit predates doctor' });

    eb.on(ListRulesCommand).resolves({ Rules: [{ Name: 'r1', State: 'DISABLED', EventPattern: OFFER_PATTERN }] });
    const disabled = await runDoctor(deps(api().client));
    expect(disabled.find((c) => c.name.startsWith(`${AUTO}: target kit`))).toMatchObject({
      ok: false,
      fix: expect.stringContaining('aws events enable-rule --event-bus-name certificate-transfer-target-local --name r1'),
    });
  });

  it.each([
    ['never ran', undefined, 'the reconciler never finished a run'],
    ['ran 10 minutes ago on a 1-minute schedule', '2026-11-22T11:50:00.000Z', 'last run finished 10 min ago'],
  ])('fails the reconciler check when it %s', async (_what, lastRunAt, detail) => {
    const checks = await runDoctor(deps(api({ pings: { status: 200, body: report({ reconciler: { lastRunAt, schedule: 'rate(1 minute)' } }) } }).client, false));

    expect(checks.at(-1)).toMatchObject({ name: 'Reconciler ran recently', ok: false, detail: expect.stringContaining(detail), fix: expect.stringContaining('schedule rule must be ENABLED') });
  });

  it('fails a source stack with no target account at all', async () => {
    const checks = await runDoctor(deps(api({ pings: { status: 200, body: report({ targets: [] }) } }).client, false));

    expect(checks).toContainEqual(expect.objectContaining({ ok: false, fix: 'deploy the source stack with --param allowedTargetAccounts=<account>,<account>' }));
  });

  it.each([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(2 hours)', 7_200_000],
    ['cron(0 * * * ? *)', undefined],
  ])('reads the schedule %s', (schedule, ms) => {
    expect(scheduleMs(schedule)).toBe(ms);
  });
});

describe('cert-transfer doctor, the command', () => {
  async function run(pings: Answer) {
    let stdout = '';
    const { client } = api({ pings });
    const code = await main(['doctor', '--endpoint', 'https://abc.execute-api.eu-west-1.amazonaws.com/prod'], {
      stdout: {
        write: (s: string) => {
          stdout += s;
        },
      },
      stderr: { write: () => undefined },
      stdin: (async function* () {
        /* empty */
      })(),
      env: {},
      readFile: async () => '',
      sleep: async () => undefined,
      makeClient: () => client as unknown as ApiClient,
    });
    return { code, stdout };
  }

  it('exits 0 when every check passes', async () => {
    const r = await run({ status: 200, body: report({ reconciler: { lastRunAt: new Date().toISOString(), schedule: 'rate(1 minute)' } }) });
    expect(r.stdout).toMatch(/All 6 checks passed\./);
    expect(r.code).toBe(0);
  });

  it('exits 5 when one fails', async () => {
    const r = await run({ status: 200, body: report({ reconciler: {} }) });
    expect(r.stdout).toContain('✗ Reconciler ran recently: the reconciler never finished a run');
    expect(r.code).toBe(5);
  });
});
