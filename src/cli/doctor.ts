// `cert-transfer doctor`: a deployment (or the local cloud) checked end to end without moving a
// certificate. Each check says what it saw and, when it fails, what to do about it.
import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import type { TransferApiClient } from '../api-client.js';
import { DEMO_ACCOUNTS } from '../demo-accounts.js';

/** A target kit's bus, by name, from the ARN the source sent the Ping to (`certificate-transfer-target-<stage>`). */
const busNameOf = (t: Pick<PingResult, 'bus'>) => t.bus?.split(':event-bus/').pop() || 'certificate-transfer-target-<stage>';
const PING = 'Certificate Transfer Ping';
const OFFERED = 'Certificate Transfer Offered';

export interface Check {
  name: string;
  ok: boolean;
  /** What was seen. */
  detail: string;
  /** How to fix it (failed checks). */
  fix?: string;
}

export interface DoctorDeps {
  api: Pick<TransferApiClient, 'request'>;
  endpoint: string;
  /** The local cloud: rules are read as each target account (access key id = account id). */
  local?: { events(account: string): EventBridgeClient };
  now?: () => number;
}

interface PingResult {
  targetAccount: string;
  /** ARN of the kit's bus the Ping went to (older stacks do not say). */
  bus?: string;
  delivered: boolean;
  error?: string;
  pongAt?: string;
  roundTripMs?: number;
  acceptancePolicy?: string;
}

interface PingReport {
  sourceAccount?: string;
  targets?: PingResult[];
  reconciler?: { lastRunAt?: string; schedule?: string };
}

const message = (body: Record<string, unknown>) => String(body.message ?? body.error ?? '').slice(0, 200);

/** `rate(5 minutes)` → 300 000 ms; undefined for anything else (a cron expression). */
export function scheduleMs(schedule: string | undefined): number | undefined {
  const m = schedule?.match(/^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/);
  if (!m) return undefined;
  const unit = m[2].startsWith('minute') ? 60_000 : m[2].startsWith('hour') ? 3_600_000 : 86_400_000;
  return Number(m[1]) * unit;
}

function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** Signed GET /transfers?limit=1: 200 means the API answers and these credentials may call it. */
async function apiCheck(deps: DoctorDeps): Promise<Check> {
  const name = 'API answers and your credentials may call it';
  let res;
  try {
    res = await deps.api.request('GET', '/transfers', undefined, { limit: '1' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    const credentials = err instanceof Error && (err.name === 'CredentialsProviderError' || /credential/i.test(err.message));
    return {
      name,
      ok: false,
      detail: `no answer from ${deps.endpoint}: ${cause ?? (err as Error).message}`,
      fix: credentials
        ? 'set AWS_PROFILE (or --profile), or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, for the source account'
        : deps.local
          ? 'start the local cloud (npm start) and export LOCAL_API_PORT / LOCAL_AWS_PORT as its banner prints'
          : "check --endpoint: the source stack's ServiceEndpoint (serverless info), reachable from here",
    };
  }
  if (res.status === 200) return { name, ok: true, detail: `GET /transfers answered 200 at ${deps.endpoint}` };
  if (res.status === 403) {
    return {
      name,
      ok: false,
      detail: `GET /transfers answered 403: ${message(res.body)}`,
      fix: deps.local
        ? `sign as the source account: unset AWS_PROFILE / AWS_ACCESS_KEY_ID, or export AWS_ACCESS_KEY_ID=${DEMO_ACCOUNTS.source} AWS_SECRET_ACCESS_KEY=x`
        : "allow execute-api:Invoke on this API (arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/*) to the identity you sign with, and sign in the API's region (--region, --profile)",
    };
  }
  return {
    name,
    ok: false,
    detail: `GET /transfers answered ${res.status}: ${message(res.body)}`,
    fix: "check --endpoint: it must be the source stack's ServiceEndpoint (serverless info), including the stage",
  };
}

/** The target kit's rule on its bus, read as the target account (local cloud only). */
async function ruleCheck(events: EventBridgeClient, target: string, bus: string): Promise<Check> {
  const name = `${target}: target kit's rule for offers and pings`;
  const fix = `deploy the target kit in ${target} (serverless deploy -c serverless.target.yml); in the local cloud, restart npm start`;
  let rules;
  try {
    rules = (await events.send(new ListRulesCommand({ EventBusName: bus }))).Rules ?? [];
  } catch (err) {
    return { name, ok: false, detail: `cannot list the rules of ${target}'s ${bus} bus: ${(err as Error).name}: ${(err as Error).message}`, fix };
  }
  const offers = rules.find((r) => r.EventPattern?.includes(OFFERED));
  if (!offers) return { name, ok: false, detail: `no rule on ${target}'s ${bus} bus matches ${OFFERED}: offers to ${target} reach nobody`, fix };
  if (offers.State !== 'ENABLED')
    return { name, ok: false, detail: `rule ${offers.Name} is ${offers.State}`, fix: `enable it: aws events enable-rule --event-bus-name ${bus} --name ${offers.Name} (as ${target})` };
  if (!offers.EventPattern?.includes(PING)) return { name, ok: false, detail: `rule ${offers.Name} does not match ${PING}: the kit predates doctor`, fix };
  return { name, ok: true, detail: `rule ${offers.Name} is ENABLED` };
}

function busCheck(t: PingResult, source: string): Check {
  const name = `${t.targetAccount}: its bus accepts events from ${source}`;
  if (t.delivered) return { name, ok: true, detail: `EventBridge took a ${PING} for ${t.targetAccount}'s ${busNameOf(t)} bus` };
  const error = t.error ?? 'refused';
  const missing = /ResourceNotFound/.test(error);
  return {
    name,
    ok: false,
    detail: `PutEvents to ${t.targetAccount}'s ${busNameOf(t)} bus failed: ${error}`,
    fix: missing
      ? `deploy the target kit in ${t.targetAccount} (serverless deploy -c serverless.target.yml --param allowedSourceAccounts=${source}), in the source stack's region`
      : `the target kit in ${t.targetAccount} must admit ${source}: deploy it with --param allowedSourceAccounts=${source} (its bus policy and rule follow that list)`,
  };
}

function pongCheck(t: PingResult, source: string): Check {
  const name = `${t.targetAccount}: decision path returns (Ping answered by a Pong)`;
  if (t.pongAt) return { name, ok: true, detail: `Pong in ${t.roundTripMs ?? '?'} ms, acceptancePolicy ${t.acceptancePolicy ?? 'unknown'}` };
  return {
    name,
    ok: false,
    detail: `no Pong from ${t.targetAccount} within the API's wait (15 s)`,
    fix:
      `in ${t.targetAccount}, the target kit's rule must match ${PING} (redeploy the kit: aws events list-rules --event-bus-name ${busNameOf(t)} shows it) and its responder must run (logs of certificate-transfer-target-<stage>-responder, its dead-letter queue); ` +
      `${source}'s stack must list ${t.targetAccount} in allowedTargetAccounts, so that its bus admits the answer`,
  };
}

function reconcilerCheck(r: PingReport['reconciler'], now: number): Check {
  const name = 'Reconciler ran recently';
  const every = scheduleMs(r?.schedule) ?? 60_000;
  const fix = "its schedule rule must be ENABLED (serverless.yml reconcilerRate) and its runs must succeed: read the reconciler function's logs and the dead-letter queue";
  if (!r?.lastRunAt) return { name, ok: false, detail: 'the reconciler never finished a run', fix };
  const age = now - Date.parse(r.lastRunAt);
  // Two missed ticks, plus a run's own length, before it counts as stopped.
  if (age > 2 * every + 5 * 60_000) return { name, ok: false, detail: `last run finished ${ago(age)} (${r.lastRunAt}), schedule ${r.schedule ?? 'unknown'}`, fix };
  return { name, ok: true, detail: `last run finished ${ago(Math.max(0, age))}${r.schedule ? `, schedule ${r.schedule}` : ''}` };
}

/** Runs every check; a check that cannot run is reported failed with why, never thrown. */
export async function runDoctor(deps: DoctorDeps): Promise<Check[]> {
  const now = deps.now ?? Date.now;
  const api = await apiCheck(deps);
  if (!api.ok) return [api];
  const res = await deps.api.request('POST', '/pings');
  if (res.status !== 200) {
    return [
      api,
      {
        name: 'POST /pings answers',
        ok: false,
        detail: `POST /pings answered ${res.status}: ${message(res.body)}`,
        fix:
          res.status === 403 || res.status === 404
            ? 'the source stack predates doctor, or your policy leaves out POST /pings: deploy this version of serverless.yml, and allow execute-api:Invoke on …/POST/pings'
            : "read the ping function's logs (certificate-transfer-<stage>-apiPing)",
      },
    ];
  }
  const report = res.body as PingReport;
  const source = report.sourceAccount ?? 'the source account';
  const checks: Check[] = [api];
  const targets = report.targets ?? [];
  if (!targets.length)
    checks.push({
      name: 'allowed target accounts',
      ok: false,
      detail: 'allowedTargetAccounts is empty: no account can receive a certificate',
      fix: 'deploy the source stack with --param allowedTargetAccounts=<account>,<account>',
    });
  for (const t of targets) {
    checks.push(busCheck(t, source));
    if (deps.local) checks.push(await ruleCheck(deps.local.events(t.targetAccount), t.targetAccount, busNameOf(t)));
    if (t.delivered) checks.push(pongCheck(t, source));
  }
  checks.push(reconcilerCheck(report.reconciler, now()));
  return checks;
}

/** `✓ name: detail` per check, with the fix under a failed one, and a last line. */
export function doctorText(checks: Check[]): string {
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`);
    if (!c.ok && c.fix) lines.push(`    fix: ${c.fix}`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  lines.push(failed ? `${failed} of ${checks.length} checks failed.` : `All ${checks.length} checks passed.`);
  return lines.join('\n');
}
