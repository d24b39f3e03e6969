// Restore and repair: put a certificate back as its stored snapshot saw it, item by item, and
// record what came back and what could not (step Restore Certificate, POST /transfers/{id}/restore).
import type { Context } from 'aws-lambda';
import { callConcurrency, mapPool } from '../concurrency.js';
import { config } from '../config.js';
import { awsErrorName, RestoreIncomplete, TransferStateConflict } from '../errors.js';
import { DetailType, entry, publish, type CompletedDetail } from '../events.js';
import { attachPolicy, attachThing, describeCertificate, listAttachedPolicies, listPrincipalThings, RETRYABLE_IOT_ERRORS, setCertificateStatus } from '../iot.js';
import { logger } from '../logger.js';
import { countRestoreRepaired } from '../metrics.js';
import { requireTransfer, saveRestore, settleRepair } from '../store.js';
import { RESTORE_FAILED, type RestoreItem, type RestoreOutcome, type TransferOutcome, type TransferRecord, type WorkflowState } from '../types.js';
import { withdrawPendingTransfer } from './withdraw.js';

/** Errors a later attempt may get past: IoT's transient faults, and the conflicts of a detach or cancel still propagating. */
const TRANSIENT_ERRORS = new Set<string>([...RETRYABLE_IOT_ERRORS, 'TransferConflictException', 'TimeoutError']);

export function isTransient(err: unknown): boolean {
  if (TRANSIENT_ERRORS.has(awsErrorName(err) ?? '')) return true;
  const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return status !== undefined && status >= 500;
}

/**
 * How long one restore may keep retrying. Within an invocation each IoT call
 * is retried (on top of the SDK's own attempts) with full-jitter backoff while
 * the Lambda has time left; what is still failing then is the state
 * machine's to retry, for minutes (see the Restore Certificate retrier).
 */
export interface RestoreOptions {
  /** Milliseconds left in the invocation (`context.getRemainingTimeInMillis`). Default: no limit. */
  remainingMs?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Kept back at the end of an invocation to save the result (and answer the API). */
export const RESERVE_MS = 2_000;
const MAX_ATTEMPTS_PER_CALL = 6;
const FIRST_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const describeError = (err: unknown) => `${awsErrorName(err) ?? 'Error'}: ${err instanceof Error ? err.message : String(err)}`;

type Attempt<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** One IoT call, retried while its error is transient and the budget allows. */
async function attempt<T>(call: () => Promise<T>, opts: Required<RestoreOptions>): Promise<Attempt<T>> {
  for (let i = 1; ; i++) {
    try {
      return { ok: true, value: await call() };
    } catch (error) {
      if (!isTransient(error) || i >= MAX_ATTEMPTS_PER_CALL) return { ok: false, error };
      const delay = Math.random() * Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** i);
      if (opts.remainingMs() - RESERVE_MS < delay) return { ok: false, error };
      await opts.sleep(delay);
    }
  }
}

/** What a failed call says about its item: GONE when IoT no longer has it, FAILED otherwise. */
function issue(kind: RestoreItem['kind'], name: string, error: unknown): RestoreItem {
  if (awsErrorName(error) === 'ResourceNotFoundException') return { kind, name, result: 'GONE', error: describeError(error) };
  return { kind, name, result: 'FAILED', error: describeError(error), ...(isTransient(error) ? { transient: true } : {}) };
}

const outOfTime = (kind: RestoreItem['kind'], name: string): RestoreItem => ({ kind, name, result: 'FAILED', error: 'Not attempted: the invocation ran out of time', transient: true });

/** FAILED if IoT refused anything that exists, PARTIAL if only deleted items are missing, else RESTORED. */
function statusOf(items: RestoreItem[]): RestoreOutcome['status'] {
  if (items.some((i) => i.result === 'FAILED')) return 'FAILED';
  return items.length ? 'PARTIAL' : 'RESTORED';
}

/** Whether another attempt may bring back more: some failure was transient. */
export const worthRetrying = (outcome: RestoreOutcome) => outcome.status === 'FAILED' && (outcome.notRestored ?? []).some((i) => i.result === 'FAILED' && i.transient);

/**
 * Puts the certificate back as the transfer's stored snapshot saw it: withdraws
 * a pending offer first, then attaches every policy and every thing (with its
 * `thingPrincipalType`), each on its own so one that fails (or was deleted
 * meanwhile) does not keep the others away, then re-activates it if it was
 * ACTIVE, even when something is missing: devices come back online with what
 * there is. Every call is idempotent, so a re-run (or a repair) is safe.
 */
export async function restoreCertificate(record: TransferRecord, options: RestoreOptions = {}): Promise<RestoreOutcome> {
  const opts: Required<RestoreOptions> = { remainingMs: options.remainingMs ?? (() => Number.POSITIVE_INFINITY), sleep: options.sleep ?? defaultSleep };
  const at = () => new Date().toISOString();

  // Always look first: a step may have crashed after its IoT call succeeded,
  // so the record can lag behind what IoT did. Nothing is known without it: a failure throws.
  const described = await attempt(() => describeCertificate(record.certificateId), opts);
  if (!described.ok) throw described.error;
  const cert = described.value;
  if (!cert) {
    return record.transferredAt
      ? { status: 'ALREADY_ACCEPTED', at: at() }
      : { status: 'FAILED', error: `Certificate ${record.certificateId} is no longer visible in account ${record.sourceAccount}`, at: at() };
  }

  const outcome: RestoreOutcome = { status: 'RESTORED' };
  if (cert.status === 'PENDING_TRANSFER') {
    const withdrawn = await attempt(() => withdrawPendingTransfer(record.certificateId), opts);
    if (!withdrawn.ok) {
      // Nothing may be attached to a certificate that is still offered to another account.
      const item = issue('transfer', record.certificateId, withdrawn.error);
      return { status: 'FAILED', notRestored: [item], error: `The pending transfer could not be withdrawn: ${item.error}`, at: at() };
    }
    if (withdrawn.value.alreadyAccepted) return { status: 'ALREADY_ACCEPTED', at: at() };
    outcome.cancelledPendingTransfer = withdrawn.value.cancelled;
  }
  const snapshot = record.snapshot;
  if (!snapshot) return { ...outcome, status: 'NOT_NEEDED', at: at() };
  if (!record.restoreOnFailure) return { ...outcome, status: 'SKIPPED', at: at() };

  const notRestored: RestoreItem[] = [];
  const reattachedPolicies: string[] = [];
  const reattachedThings: string[] = [];
  for (const policyName of snapshot.policies) {
    if (opts.remainingMs() < RESERVE_MS) {
      notRestored.push(outOfTime('policy', policyName));
      continue;
    }
    const done = await attempt(() => attachPolicy(policyName, snapshot.certificateArn), opts);
    if (done.ok) reattachedPolicies.push(policyName);
    else notRestored.push(issue('policy', policyName, done.error));
  }
  // Ten at a time (AttachThingPrincipal is 100 TPS, paced by the rate budget): 1,000 things at
  // 100 ms per call take about 10 s of the function's 60, not 100 s.
  const things = await mapPool(snapshot.things, callConcurrency('AttachThingPrincipal'), async (thing): Promise<RestoreItem | undefined> => {
    if (opts.remainingMs() < RESERVE_MS) return outOfTime('thing', thing.thingName);
    const done = await attempt(() => attachThing(thing, snapshot.certificateArn), opts);
    return done.ok ? undefined : issue('thing', thing.thingName, done.error);
  });
  things.forEach((item, i) => {
    if (item) notRestored.push(item);
    else reattachedThings.push(snapshot.things[i].thingName);
  });

  let reactivated = false;
  if (snapshot.status === 'ACTIVE') {
    if (cert.status === 'REVOKED') {
      // Revoked by someone while it was away: on purpose, and for good.
      notRestored.push({ kind: 'status', name: 'ACTIVE', result: 'GONE', error: 'The certificate was revoked meanwhile; a revoked certificate cannot be re-activated' });
    } else if (opts.remainingMs() < RESERVE_MS) {
      notRestored.push(outOfTime('status', 'ACTIVE'));
    } else {
      const done = await attempt(() => setCertificateStatus(record.certificateId, 'ACTIVE'), opts);
      if (done.ok) reactivated = true;
      else notRestored.push(issue('status', 'ACTIVE', done.error));
    }
  }

  const status = statusOf(notRestored);
  return {
    ...outcome,
    status,
    reattachedPolicies,
    reattachedThings,
    reactivated,
    ...(notRestored.length ? { notRestored } : {}),
    ...(status === 'FAILED' ? { error: summary(notRestored) } : {}),
    at: at(),
  };
}

/** `2 of 5 item(s) not restored: policy P (ServiceUnavailableException: …); …` (bounded: it travels in errors and causes). */
function summary(items: RestoreItem[]): string {
  const failed = items.filter((i) => i.result === 'FAILED');
  const shown = failed
    .slice(0, 3)
    .map((i) => `${i.kind} ${i.name} (${i.error.slice(0, 200)})`)
    .join('; ');
  return `${failed.length} item(s) could not be restored: ${shown}${failed.length > 3 ? '; …' : ''}`;
}

/**
 * Restore Certificate (the workflow step): restores from the snapshot in the
 * store, keeps the result on the record, and throws `RestoreIncomplete` while
 * transient failures remain, so the state machine tries again, for minutes;
 * once its retries are spent, Record Outcome ends the transfer RESTORE_FAILED.
 */
export async function restore(state: WorkflowState, context?: Pick<Context, 'getRemainingTimeInMillis'>, sleep: (ms: number) => Promise<void> = defaultSleep): Promise<RestoreOutcome> {
  const record = await requireTransfer(state.transferId);
  const opts = { remainingMs: context ? () => context.getRemainingTimeInMillis() : () => Number.POSITIVE_INFINITY, sleep };
  let outcome = await restoreCertificate(record, opts);
  if (killedMidStep(state) && record.snapshot && outcome.reattachedThings && outcome.status !== 'FAILED') {
    // A step killed at its timeout can leave detach calls in flight that IoT serves after the
    // re-attach above: wait them out, then look again and put back what they took.
    const wait = Math.min(config.lateCallGraceSeconds * 1000, Math.max(0, opts.remainingMs() - RESERVE_MS * 3));
    await sleep(wait);
    outcome = await verifyRestored(record, outcome, opts);
  }
  await saveRestore(state.transferId, outcome);
  if (worthRetrying(outcome)) throw new RestoreIncomplete(outcome.error ?? 'The restore could not finish');
  return outcome;
}

/** The step before the rollback died at its timeout or crashed, rather than answering an error. */
export const KILLED_STEP_ERRORS = new Set(['Sandbox.Timedout', 'States.Timeout', 'Lambda.Unknown', 'Runtime.ExitError']);
const killedMidStep = (state: WorkflowState) => KILLED_STEP_ERRORS.has(state.error?.Error ?? '');

/**
 * Looks at the certificate again after a restore and re-attaches any policy or
 * thing of the snapshot that is missing (a late detach of a killed step took
 * it), so the result reports what IoT shows, not what was sent.
 */
export async function verifyRestored(record: TransferRecord, outcome: RestoreOutcome, options: Required<RestoreOptions>): Promise<RestoreOutcome> {
  const snapshot = record.snapshot!;
  const policies = await attempt(() => listAttachedPolicies(snapshot.certificateArn), options);
  const things = await attempt(() => listPrincipalThings(snapshot.certificateArn), options);
  if (!policies.ok || !things.ok) {
    const failed = [
      !policies.ok && issue('policy', '(verification: ListAttachedPolicies)', policies.error),
      !things.ok && issue('thing', '(verification: ListPrincipalThingsV2)', things.error),
    ].filter((i): i is RestoreItem => Boolean(i));
    const notRestored = [...(outcome.notRestored ?? []), ...failed];
    return { ...outcome, status: 'FAILED', notRestored, error: summary(notRestored) };
  }
  const attached = { policies: new Set(policies.value), things: new Set(things.value.map((t) => t.thingName)) };
  const notRestored = [...(outcome.notRestored ?? [])];
  const relost: string[] = [];
  for (const policyName of outcome.reattachedPolicies ?? []) {
    if (attached.policies.has(policyName)) continue;
    relost.push(`policy ${policyName}`);
    const done = await attempt(() => attachPolicy(policyName, snapshot.certificateArn), options);
    if (!done.ok) notRestored.push(issue('policy', policyName, done.error));
  }
  const byName = new Map(snapshot.things.map((t) => [t.thingName, t]));
  const missing = (outcome.reattachedThings ?? []).filter((name) => !attached.things.has(name));
  const results = await mapPool(missing, callConcurrency('AttachThingPrincipal'), async (name) => attempt(() => attachThing(byName.get(name)!, snapshot.certificateArn), options));
  results.forEach((done, i) => {
    relost.push(`thing ${missing[i]}`);
    if (!done.ok) notRestored.push(issue('thing', missing[i], done.error));
  });
  if (relost.length) logger.warn('Put back what a late detach took after the restore', { items: relost.slice(0, 20), count: relost.length });
  const failedNames = new Set(notRestored.map((i) => `${i.kind}|${i.name}`));
  const status = statusOf(notRestored);
  return {
    ...outcome,
    status,
    reattachedPolicies: (outcome.reattachedPolicies ?? []).filter((n) => !failedNames.has(`policy|${n}`)),
    reattachedThings: (outcome.reattachedThings ?? []).filter((n) => !failedNames.has(`thing|${n}`)),
    ...(notRestored.length ? { notRestored } : {}),
    ...(status === 'FAILED' ? { error: summary(notRestored) } : {}),
  };
}

export type RepairResult = { repaired: true; transfer: TransferRecord } | { repaired: false; transfer: TransferRecord; restore: RestoreOutcome };

/**
 * POST /transfers/{id}/restore: runs the restore again, from the stored
 * snapshot, for a transfer that ended RESTORE_FAILED. When the certificate is
 * whole again (everything that still exists is back) the transfer takes its
 * own outcome, the lock is released, and a Completed event with `repairedAt`
 * says so; otherwise it stays RESTORE_FAILED with the new result.
 */
export async function repairTransfer(transferId: string, options: RestoreOptions = {}): Promise<RepairResult> {
  const record = await requireTransfer(transferId);
  if (record.status !== RESTORE_FAILED) {
    throw new TransferStateConflict(`Transfer ${transferId} is ${record.status}; only a ${RESTORE_FAILED} transfer can be repaired`, record.status);
  }
  // A repair means "bring it back": restoreOnFailure false only ever ends RESTORE_FAILED when the offer could not be withdrawn.
  const outcome = await restoreCertificate(record, options);
  await saveRestore(transferId, outcome);
  if (outcome.status === 'FAILED') return { repaired: false, transfer: { ...record, restore: outcome }, restore: outcome };

  const to: TransferOutcome = outcome.status === 'ALREADY_ACCEPTED' ? 'ACCEPTED' : (record.transferOutcome ?? 'FAILED');
  const settled = await settleRepair(record, to, outcome);
  countRestoreRepaired(settled);
  const detail: CompletedDetail = {
    transferId,
    certificateId: record.certificateId,
    sourceAccount: record.sourceAccount,
    targetAccount: record.targetAccount,
    outcome: to,
    reason: settled.reason,
    restore: outcome,
    requestId: record.requestId,
    completedAt: settled.updatedAt,
    repairedAt: settled.repairedAt,
  };
  try {
    await publish([entry(config.eventBusName, DetailType.Completed, detail, [record.certificateArn])]);
  } catch (err) {
    // The record is the truth and says it was repaired; a lost notification must not undo that.
    logger.error('Completed event after repair not published', { error: describeError(err) });
  }
  return { repaired: true, transfer: settled };
}
