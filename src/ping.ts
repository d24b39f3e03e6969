import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb } from './clients/dynamodb.js';
import { config } from './config.js';
import { awsErrorName } from './errors.js';
import { DetailType, entry, peerBusArn, publish, type PingDetail, type PongDetail } from './events.js';
import { ACCOUNT_ID, UUID } from './ids.js';
import { pingKey, RECONCILER_RUN_KEY } from './keys.js';

/*
 * The decision path without a certificate: `POST /pings` sends a Certificate
 * Transfer Ping to each allowed target's bus, the target kit's responder answers
 * with a Pong on this account's bus, and the decision function records it on the
 * ping's item. One item per target (the latest ping), so pings never pile up.
 */

/** What `POST /pings` reports for one target account. */
export interface PingResult {
  targetAccount: string;
  pingId: string;
  sentAt: string;
  /** The target kit's bus the Ping was sent to (`certificate-transfer-target-<stage>`, by ARN). */
  bus: string;
  /** EventBridge took the Ping for the target's bus. */
  delivered: boolean;
  /** Why it did not: the EventBridge error, e.g. `AccessDeniedException: …`. */
  error?: string;
  pongAt?: string;
  roundTripMs?: number;
  acceptancePolicy?: string;
}

export interface PingReport {
  sourceAccount: string;
  targets: PingResult[];
  reconciler: { lastRunAt?: string; schedule?: string };
}

export type PongOutcome = { recorded: true; pingId: string; targetAccount: string } | { recorded: false; reason: string };

const errorText = (err: unknown) => `${awsErrorName(err) ?? 'Error'}: ${err instanceof Error ? err.message : String(err)}`;

async function sendPing(targetAccount: string): Promise<PingResult> {
  const detail: PingDetail = { pingId: randomUUID(), sourceAccount: config.accountId, targetAccount, sentAt: new Date().toISOString() };
  await ddb.send(new PutCommand({ TableName: config.tableName, Item: { ...pingKey(targetAccount), ...detail } }));
  const bus = peerBusArn(targetAccount);
  try {
    // peerBusArn(…) inline: the IAM contract tests read the bus from this call (test/support/sdk-calls.ts).
    await publish([entry(peerBusArn(targetAccount), DetailType.Ping, detail)]);
    return { ...detail, bus, delivered: true };
  } catch (err) {
    return { ...detail, bus, delivered: false, error: errorText(err) };
  }
}

async function pongOf(result: PingResult): Promise<PingResult> {
  const { Item } = await ddb.send(new GetCommand({ TableName: config.tableName, Key: pingKey(result.targetAccount), ConsistentRead: true }));
  if (!Item || Item.pingId !== result.pingId || typeof Item.pongAt !== 'string') return result;
  return { ...result, pongAt: Item.pongAt, acceptancePolicy: Item.acceptancePolicy as string | undefined, roundTripMs: Date.parse(Item.pongAt) - Date.parse(result.sentAt) };
}

/**
 * Pings every allowed target account and waits up to `waitMs` for their Pongs;
 * also reports when the reconciler last finished a run.
 */
export async function pingTargets(opts: { waitMs: number; pollMs?: number; sleep?: (ms: number) => Promise<void> }): Promise<PingReport> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deadline = Date.now() + opts.waitMs;
  let targets = await Promise.all(config.allowedTargetAccounts.map(sendPing));
  for (;;) {
    targets = await Promise.all(targets.map((t) => (t.delivered && !t.pongAt ? pongOf(t) : t)));
    if (targets.every((t) => !t.delivered || t.pongAt) || Date.now() >= deadline) break;
    await sleep(opts.pollMs ?? 250);
  }
  return { sourceAccount: config.accountId, targets, reconciler: { lastRunAt: await reconcilerLastRun(), schedule: config.reconcilerSchedule } };
}

/**
 * Records a Pong on its ping's item, only if the ping is the latest sent to
 * the event's `account` (set by EventBridge): a Pong cannot vouch for another account.
 */
export async function recordPong(event: { account: string; detail: unknown }): Promise<PongOutcome> {
  const d = event.detail as Partial<PongDetail> | undefined;
  if (!d || typeof d.pingId !== 'string' || !UUID.test(d.pingId) || typeof d.targetAccount !== 'string' || !ACCOUNT_ID.test(d.targetAccount)) {
    return { recorded: false, reason: 'malformed Pong detail' };
  }
  if (d.targetAccount !== event.account) return { recorded: false, reason: `Pong for ${d.targetAccount} sent by account ${event.account}` };
  try {
    await ddb.send(
      new UpdateCommand({
        TableName: config.tableName,
        Key: pingKey(event.account),
        UpdateExpression: 'SET pongAt = :now, acceptancePolicy = :policy',
        ConditionExpression: 'pingId = :id',
        ExpressionAttributeValues: { ':now': new Date().toISOString(), ':policy': String(d.acceptancePolicy ?? '').slice(0, 32), ':id': d.pingId },
      }),
    );
    return { recorded: true, pingId: d.pingId, targetAccount: event.account };
  } catch (err) {
    if (awsErrorName(err) === 'ConditionalCheckFailedException') return { recorded: false, reason: 'not the latest ping to that account' };
    throw err;
  }
}

/** The reconciler finished a run: what `cert-transfer doctor` checks is recent. */
export async function recordReconcilerRun(at = new Date().toISOString()): Promise<void> {
  await ddb.send(new UpdateCommand({ TableName: config.tableName, Key: RECONCILER_RUN_KEY, UpdateExpression: 'SET lastRunAt = :at', ExpressionAttributeValues: { ':at': at } }));
}

async function reconcilerLastRun(): Promise<string | undefined> {
  const { Item } = await ddb.send(new GetCommand({ TableName: config.tableName, Key: RECONCILER_RUN_KEY, ConsistentRead: true }));
  return typeof Item?.lastRunAt === 'string' ? Item.lastRunAt : undefined;
}
