// A fleet in one request: 400 certificates, set up straight in the IoT model, moved by one
// POST /transfer-batches. The batch runs its groups and slices as child executions, each within
// Step Functions' history quota, and ends with every certificate accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, ListExecutionsCommand, type ExecutionListItem } from '@aws-sdk/client-sfn';
import { HISTORY_EVENT_LIMIT } from '../../local/stepfunctions/limits.js';
import { startTestCloud, until, type TestCloud } from '../support/cloud.js';
import { makeModelCertificate } from '../support/model-certificate.js';

const SOURCE = '111111111111';
const AUTO = '222222222222';
const REGION = 'us-east-1';
// About 5 transfers a second on a loaded 2-core machine: 400 keep the test under a minute and a half.
const FLEET = 400;
/** Slices of 2, so that 400 certificates make 200 slices in two groups: every level of the batch runs. */
const SLICE_SIZE = 2;

let t: TestCloud;
beforeAll(async () => {
  t = await startTestCloud({
    // The budget paces IoT calls at AWS default quotas (about 30 s per 300 transfers): this test is about the batch, not the quotas.
    sourceParams: { batchSliceSize: String(SLICE_SIZE), iotRateLimits: 'off' },
    scheduleIntervalMs: 3_600_000,
  });
}, 180_000);
afterAll(async () => {
  await t?.stop();
});

async function allExecutions(stateMachineArn: string): Promise<ExecutionListItem[]> {
  const out: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await t.sfn().send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000, nextToken }));
    out.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

async function historyLength(executionArn: string): Promise<number> {
  let n = 0;
  let nextToken: string | undefined;
  do {
    const page = await t.sfn().send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: false }));
    n += page.events?.length ?? 0;
    nextToken = page.nextToken;
  } while (nextToken);
  return n;
}

describe('a fleet of 400 certificates in one batch', () => {
  it('ends with every certificate accepted, progress readable all along, every execution within its history quota', async () => {
    const ids: string[] = [];
    for (let i = 0; i < FLEET; i++) ids.push((await makeModelCertificate(t.cloud.iot, SOURCE, REGION, { policies: 1, things: 1 })).certificateId);

    const started = await t.api().request('POST', '/transfer-batches', { certificateIds: ids, targetAccount: AUTO, maxConcurrency: 100 });
    expect(started.status).toBe(202);
    const batchId = String(started.body.batchId);
    const batchArn = String(started.body.executionArn);

    // The counts add up to the fleet at any moment, while the batch runs.
    const seen: number[] = [];
    const batch = await until(
      'the batch to finish',
      async () => {
        const b = await t.api().getBatch(batchId);
        const counts = b.counts as Record<string, number>;
        expect(Object.values(counts).reduce((a, c) => a + c, 0)).toBe(FLEET);
        seen.push(Number(b.done));
        return b.status === 'RUNNING' ? undefined : b;
      },
      240_000,
      5000,
    );

    expect(batch).toMatchObject({ status: 'COMPLETED', total: FLEET, done: FLEET, accepted: FLEET, counts: { ACCEPTED: FLEET, PENDING: 0, NOT_STARTED: 0 } });
    expect(batch.failures).toEqual([]);
    expect(
      seen.some((d) => d > 0 && d < FLEET),
      'progress seen mid-way',
    ).toBe(true);
    expect(t.cloud.iot.describeCertificate({ account: AUTO, region: REGION }, { certificateId: ids[FLEET - 1] }).certificateDescription).toMatchObject({ status: 'ACTIVE', ownedBy: AUTO });

    // The batch, its two groups and its 200 slices: executions of the batch machine, each its own history.
    const stateMachineArn = String((await t.sfn().send(new DescribeExecutionCommand({ executionArn: batchArn }))).stateMachineArn);
    const mine = (await allExecutions(stateMachineArn)).filter((e) => e.name?.startsWith(batchId));
    expect(
      mine
        .filter((e) => /-group-\d+$/.test(e.name!))
        .map((e) => e.name)
        .sort(),
    ).toEqual([`${batchId}-group-0`, `${batchId}-group-1`]);
    expect(mine.filter((e) => /-slice-\d+$/.test(e.name!))).toHaveLength(FLEET / SLICE_SIZE);
    expect(mine.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    const lengths = new Map<string, number>();
    for (const e of mine) lengths.set(e.name!, await historyLength(e.executionArn!));
    expect(Math.max(...lengths.values())).toBeLessThan(HISTORY_EVENT_LIMIT);
    // The batch itself stays small whatever the fleet: two group iterations, no per-certificate event.
    expect(lengths.get(batchId)).toBeLessThan(200);
  }, 420_000);
});
