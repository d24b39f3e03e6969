/**
 * Scheduled rules: which ScheduleExpressions EventBridge accepts, and firing every enabled
 * scheduled rule once as an `aws.events` "Scheduled Event" on the default bus.
 */
import { randomUUID } from 'node:crypto';
import type { EventLogRecord, Route } from './event-log.js';
import { eventTime } from './put-events.js';
import { busArn, DEFAULT_BUS, ENABLED_STATES, type Stores } from './stores.js';
import type { EventBridgeEvent } from './types.js';

/** rate(5 minutes) / rate(1 hour) / cron(0 12 * * ? *): the shapes EventBridge accepts. */
export function isValidScheduleExpression(expr: string): boolean {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expr);
  if (rate) {
    const n = Number(rate[1]);
    return n >= 1 && (n === 1) === !rate[2].endsWith('s');
  }
  const cron = /^cron\((.+)\)$/.exec(expr);
  if (!cron) return false;
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) return false;
  // Day-of-month and day-of-week cannot both be given: one must be '?'.
  return (fields[2] === '?') !== (fields[4] === '?');
}

/** Fires every enabled scheduled rule once, in every account and region. Returns the event ids. */
export function fireSchedules(stores: Stores, route: Route): string[] {
  const ids: string[] = [];
  for (const store of stores.all()) {
    for (const rule of store.rules.get(DEFAULT_BUS)?.values() ?? []) {
      if (!rule.scheduleExpression || !ENABLED_STATES.has(rule.state)) continue;
      const now = stores.now();
      const event: EventBridgeEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: store.account,
        time: eventTime(now),
        region: store.region,
        resources: [rule.arn],
        detail: {},
      };
      const record: EventLogRecord = {
        eventId: event.id,
        receivedAt: now.toISOString(),
        account: store.account,
        region: store.region,
        busName: DEFAULT_BUS,
        busArn: busArn(store.region, store.account, DEFAULT_BUS),
        sender: store.account,
        event,
        status: 'accepted',
        matchedRules: [],
        deliveries: [],
      };
      route(store, record, [rule]);
      ids.push(event.id);
    }
  }
  return ids;
}
