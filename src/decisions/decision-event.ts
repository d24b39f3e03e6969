import { Ajv } from 'ajv';
import { once } from '../once.js';
import { DetailType, type DecisionDetail } from '../events.js';
import { getTransfer } from '../store.js';
import type { Decision } from '../types.js';
import { confirmWithIot, decisionFrom, type ConfirmOptions } from './observe.js';
import { deliverDecision } from './hand-off.js';

/** A decision event as EventBridge delivers it: `account` is the sender's and cannot be forged. */
export interface DecisionEvent {
  id?: string;
  account: string;
  source: string;
  'detail-type': string;
  time?: string;
  detail: unknown;
}

export type DecisionOutcome =
  /** `contradicted`: the event claimed the other decision; IoT's is the one delivered. */
  { settled: true; transferId: string; decision: Decision['decision']; contradicted?: Decision['decision'] } | { settled: false; reason: string; transferId?: string };

// Compiled on the first event, not at import (the cold start of every function that imports this module).
const validDetail = once(() =>
  new Ajv({ allErrors: false }).compile<DecisionDetail>({
    type: 'object',
    required: ['transferId', 'certificateId', 'sourceAccount', 'targetAccount', 'decidedAt'],
    properties: {
      transferId: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' },
      certificateId: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' },
      sourceAccount: { type: 'string', pattern: '^[0-9]{12}$' },
      targetAccount: { type: 'string', pattern: '^[0-9]{12}$' },
      decidedAt: { type: 'string', maxLength: 64 },
      reason: { type: 'string', maxLength: 128 },
      setAsActive: { type: 'boolean' },
    },
  }),
);

/**
 * Settles a transfer from a Certificate Transfer Accepted / Rejected event,
 * only if the event comes from the transfer's target account, names the
 * transfer's certificate, the transfer is still awaiting a decision, and IoT
 * shows it decided: ACCEPTED once the certificate is gone from this account,
 * REJECTED once it is back and no longer pending, whatever the event claimed.
 * While IoT still shows the offer pending (after a bounded wait) nothing is
 * settled: the reconciler or a later event does it. Everything else settles
 * nothing and says why. Replays are harmless: the task token is single-use
 * and the record moves on.
 */
export async function handleDecisionEvent(event: DecisionEvent, opts: ConfirmOptions = {}): Promise<DecisionOutcome> {
  const decision = event['detail-type'] === DetailType.Accepted ? 'ACCEPTED' : event['detail-type'] === DetailType.Rejected ? 'REJECTED' : undefined;
  if (!decision) return { settled: false, reason: `detail-type "${String(event['detail-type']).slice(0, 64)}" is not a decision` };
  const validate = validDetail();
  if (!validate(event.detail)) {
    const e = validate.errors?.[0];
    return { settled: false, reason: `malformed detail: ${e?.instancePath || '/'} ${e?.message ?? ''}`.trim() };
  }
  const detail = event.detail;
  const record = await getTransfer(detail.transferId);
  if (!record) return { settled: false, reason: 'unknown transfer', transferId: detail.transferId };
  if (event.account !== record.targetAccount) {
    return { settled: false, reason: `sent by account ${event.account}, but the transfer's target is ${record.targetAccount}`, transferId: record.transferId };
  }
  if (detail.certificateId.toLowerCase() !== record.certificateId) {
    return { settled: false, reason: 'certificateId does not match the transfer', transferId: record.transferId };
  }
  if (record.status !== 'AWAITING_DECISION') {
    return { settled: false, reason: `transfer is ${record.status}, no longer awaiting a decision`, transferId: record.transferId };
  }
  // The event is a hint: the record follows what IoT shows in this account.
  const { view, looks } = await confirmWithIot(record, opts);
  const decided = decisionFrom(view, 'event', decision === 'REJECTED' ? detail.reason : undefined);
  if (!decided) {
    return {
      settled: false,
      reason: `${detailTypeOf(decision)} event, but IoT still shows the transfer pending after ${looks} looks (${view.state === 'PENDING' ? view.why : ''}); left awaiting for the reconciler`,
      transferId: record.transferId,
    };
  }
  const handOff = await deliverDecision(record, decided);
  if (handOff === 'TOO_LATE') return { settled: false, reason: 'the workflow is no longer waiting (expired, cancelled or already decided)', transferId: record.transferId };
  return { settled: true, transferId: record.transferId, decision: decided.decision, ...(decided.decision !== decision ? { contradicted: decision } : {}) };
}

const detailTypeOf = (d: Decision['decision']) => (d === 'ACCEPTED' ? 'Accepted' : 'Rejected');
