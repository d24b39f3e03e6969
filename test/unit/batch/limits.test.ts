// The largest batch allowed (100,000 certificates) stays within Step Functions' quotas by construction: the
// arithmetic, from the real transfer-batch.asl.yml, of the most history events a slice, a group and the batch can
// write, and of their largest payloads.
import { describe, expect, it } from 'vitest';
import { loadServerlessStack } from '../../../local/serverless/stack.js';
import { resolveIntrinsics } from '../../../local/cloudformation/intrinsics.js';
import { HISTORY_EVENT_LIMIT, PAYLOAD_LIMIT_BYTES } from '../../../local/stepfunctions/limits.js';
import { INLINE_MAP_MAX_CONCURRENCY, MAX_GROUP_SLICES, MAX_SLICES, MAX_SLICE_SIZE, cutSlices, groupSlices, planBatch } from '../../../src/batch/plan.js';
import { MAX_BATCH_CONCURRENCY, MAX_BATCH_SIZE } from '../../../src/validation.js';
import { iterationEvents, longestPath, pathEvents, type AslState } from '../../support/asl-events.js';
import { deployParams } from '../../support/deploy-params.js';

const stack = loadServerlessStack('serverless.yml', { stage: 'test', params: deployParams('serverless.yml') });
const raw = stack.stateMachines.find((m) => m.key === 'transferBatch')!.definition;
const fn = (key: string) => `arn:aws:lambda:us-east-1:111111111111:function:certificate-transfer-test-${key}`;
const resources = Object.fromEntries(stack.functions.map((f) => [f.key, { ref: f.key, attributes: { Arn: fn(f.key) } }]));
const definition = resolveIntrinsics(raw, { accountId: '111111111111', region: 'us-east-1', resources }) as { States: Record<string, AslState> };
const states = definition.States;
/** ExecutionStarted and ExecutionSucceeded/-Failed. */
const EXECUTION_EVENTS = 2;

describe('a batch at its largest stays within Step Functions quotas', () => {
  it(`a slice of ${MAX_SLICE_SIZE} certificates writes fewer than ${HISTORY_EVENT_LIMIT} history events, every retrier spent on every certificate`, () => {
    const perCertificate = iterationEvents(states['Transfer Each Certificate']);
    // Prepare Transfer: 2 + (1 + 6 + 10 + 3 attempts) × 3 = 62; Run Transfer: 2 + (1 + 6) × 4 = 30;
    // Transfer Ran? 2; Record Item Failure 62; Certificate Done 2; the iteration's own 2.
    expect(perCertificate).toBe(62 + 30 + 2 + 62 + 2 + 2);
    const slice = EXECUTION_EVENTS + pathEvents(states, ['Batch Or Slice?', 'Transfer Each Certificate', 'Slice Transferred'], MAX_SLICE_SIZE);
    expect(slice).toBe(2 + 2 + (4 + MAX_SLICE_SIZE * perCertificate) + 2); // 16,010
    expect(slice).toBeLessThan(HISTORY_EVENT_LIMIT);
    // One inline Map over the largest batch could write 1,000 × 160: the reason for slices.
    expect(MAX_BATCH_SIZE * perCertificate).toBeGreaterThan(HISTORY_EVENT_LIMIT);
  });

  it(`a group of ${MAX_GROUP_SLICES} slices writes fewer than ${HISTORY_EVENT_LIMIT} events`, () => {
    const perSlice = iterationEvents(states['Transfer Each Slice']);
    // Load Slice with every retrier spent (2 + 20 attempts × 3), Run Slice with its 6 retries (2 + 7 × 4), Slice Done / Slice Failed.
    expect(perSlice).toBe(2 + 62 + 30 + 2);
    const group = EXECUTION_EVENTS + pathEvents(states, ['Batch Or Slice?', 'Transfer Each Slice', 'Group Transferred'], MAX_GROUP_SLICES);
    expect(group).toBe(2 + 2 + (4 + MAX_GROUP_SLICES * perSlice) + 2); // 9,610
    expect(group).toBeLessThan(HISTORY_EVENT_LIMIT);
    // The 1,000 slices of the largest batch in one execution would write 96,000: the reason for groups.
    expect(MAX_SLICES * perSlice).toBeGreaterThan(HISTORY_EVENT_LIMIT);
  });

  it(`the batch itself, with ${MAX_SLICES / MAX_GROUP_SLICES} groups at most, writes fewer than ${HISTORY_EVENT_LIMIT} events`, () => {
    const perGroup = iterationEvents(states['Transfer Each Group']);
    expect(perGroup).toBe(2 + (2 + 7 * 4) + 2); // Run Group with its 6 retries, Group Done / Group Failed
    const longestEnd = longestPath(states, 'Summarize Batch'); // Summarize Batch 62, Batch Failed? 2, an end 2
    const maxGroups = Math.max(...[1, 7, 50, MAX_SLICE_SIZE].map((size) => planBatch(MAX_BATCH_SIZE, MAX_BATCH_CONCURRENCY, size).groups));
    expect(maxGroups).toBe(MAX_SLICES / MAX_GROUP_SLICES);
    const batch = EXECUTION_EVENTS + pathEvents(states, ['Batch Or Slice?', 'Transfer Each Group'], maxGroups) + longestEnd;
    expect(batch).toBe(2 + 2 + (4 + maxGroups * perGroup) + 66); // 414
    expect(batch).toBeLessThan(HISTORY_EVENT_LIMIT);
  });

  it(`${MAX_BATCH_SIZE} certificates are ${MAX_SLICES} slices of ${MAX_SLICE_SIZE} in ${MAX_SLICES / MAX_GROUP_SLICES} groups of ${MAX_GROUP_SLICES}`, () => {
    expect(MAX_BATCH_SIZE).toBe(100_000);
    expect(MAX_BATCH_SIZE).toBe(MAX_SLICES * MAX_SLICE_SIZE);
    const plan = planBatch(MAX_BATCH_SIZE, MAX_BATCH_CONCURRENCY);
    expect(plan).toMatchObject({ sliceSize: 100, slices: 1000, groups: 10 });
    const groups = groupSlices(plan);
    expect(groups.map((g) => g.length)).toEqual(Array(10).fill(100));
    expect(groups.flat()).toEqual(Array.from({ length: 1000 }, (_, n) => n));
    expect(() => planBatch(MAX_BATCH_SIZE + 1, 40)).toThrow(RangeError);
  });

  it('every plan of an allowed batch keeps to those bounds: slice size, slice count, concurrency', () => {
    for (const configured of [1, 2, 7, 50, MAX_SLICE_SIZE]) {
      for (let total = 1; total <= MAX_BATCH_SIZE; total += total < 120 ? 1 : total < 2000 ? 37 : 3989) {
        for (const maxConcurrency of [1, 2, 3, 39, 40, 41, 79, 80, 99, MAX_BATCH_CONCURRENCY]) {
          const plan = planBatch(total, maxConcurrency, configured);
          const label = JSON.stringify({ configured, total, maxConcurrency, plan });
          expect(plan.sliceSize, label).toBeLessThanOrEqual(MAX_SLICE_SIZE);
          expect(plan.slices, label).toBeLessThanOrEqual(MAX_SLICES);
          expect(plan.slices, label).toBe(Math.ceil(total / plan.sliceSize)); // what cutSlices makes
          const groups = groupSlices(plan);
          expect(groups, label).toHaveLength(plan.groups);
          expect(Math.max(...groups.map((g) => g.length)), label).toBeLessThanOrEqual(MAX_GROUP_SLICES);
          expect(groups.flat(), label).toEqual(Array.from({ length: plan.slices }, (_, n) => n));
          expect(plan.groupConcurrency * plan.sliceConcurrency * plan.itemConcurrency, label).toBeLessThanOrEqual(maxConcurrency);
          expect(Math.max(plan.groupConcurrency, plan.sliceConcurrency, plan.itemConcurrency), label).toBeLessThanOrEqual(INLINE_MAP_MAX_CONCURRENCY);
        }
      }
    }
    // The concurrency asked for is used: 100 in flight needs three slices even for 100 certificates.
    expect(planBatch(100, 100)).toEqual({ sliceSize: 34, slices: 3, groups: 1, groupConcurrency: 1, sliceConcurrency: 3, itemConcurrency: 33 });
    expect(planBatch(1000, 40)).toEqual({ sliceSize: 100, slices: 10, groups: 1, groupConcurrency: 1, sliceConcurrency: 10, itemConcurrency: 4 });
    expect(planBatch(150, 40)).toEqual({ sliceSize: 75, slices: 2, groups: 1, groupConcurrency: 1, sliceConcurrency: 2, itemConcurrency: 20 });
    // The largest batch: ten groups at once, each running four slices of two certificates in flight (80 of 100 asked).
    expect(planBatch(MAX_BATCH_SIZE, MAX_BATCH_CONCURRENCY)).toEqual({ sliceSize: 100, slices: 1000, groups: 10, groupConcurrency: 10, sliceConcurrency: 4, itemConcurrency: 2 });
    // At the default concurrency (15 at AWS default quotas) every slot is used: five groups of three slices at once.
    expect(planBatch(MAX_BATCH_SIZE, 15)).toEqual({ sliceSize: 100, slices: 1000, groups: 10, groupConcurrency: 5, sliceConcurrency: 3, itemConcurrency: 1 });
    // A batch of more slices than the concurrency uses every slot of it, in however many groups.
    for (const maxConcurrency of [1, 7, 15, 23, 40]) {
      for (const total of [10_000, 50_000, MAX_BATCH_SIZE]) {
        const p = planBatch(total, maxConcurrency);
        expect(p.groupConcurrency * p.sliceConcurrency * p.itemConcurrency, JSON.stringify({ total, maxConcurrency })).toBe(maxConcurrency);
      }
    }
  });

  it(`the largest payloads stay under ${PAYLOAD_LIMIT_BYTES} bytes: the batch input, a group's input and output, a slice's input, the summary's input`, () => {
    const ids = Array.from({ length: MAX_BATCH_SIZE }, (_, i) => i.toString(16).padStart(64, 'f'));
    // Every string field at its longest, with characters JSON escapes to six bytes.
    const request = { targetAccount: '222222222222', transferMessage: '\u0001'.repeat(128), timeoutSeconds: 31_104_000, restoreOnFailure: true, requestId: 'r'.repeat(128) };
    const plan = planBatch(MAX_BATCH_SIZE, MAX_BATCH_CONCURRENCY, 1);
    const batchId = crypto.randomUUID();
    const groups = groupSlices(plan);
    const slices = cutSlices(ids, plan);
    const parent = `arn:aws:states:us-east-1:111111111111:execution:certificate-transfer-batch-${'s'.repeat(60)}:${batchId}`;
    const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');
    const sliceResults = (g: number[]) => g.map((slice) => ({ slice, error: 'States.TaskFailed' }));
    const payloads = {
      // What POST /transfer-batches starts the batch with: no certificate id.
      batchInput: bytes({ batchId, maxConcurrency: MAX_BATCH_CONCURRENCY, request, plan, groups }),
      groupInput: bytes({ batchId, group: plan.groups - 1, slices: groups.at(-1), request, plan, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: parent }),
      // A group's state after its Map: its input and every slice's result (each one failed).
      groupState: bytes({ batchId, group: 9, slices: groups[9], request, plan, sliceResults: sliceResults(groups[9]) }),
      // A slice's iteration after Load Slice: its 100 ids.
      sliceIteration: bytes({ batchId, slice: MAX_SLICES - 1, maxConcurrency: INLINE_MAP_MAX_CONCURRENCY, request, loaded: { certificateIds: slices.at(-1) } }),
      sliceInput: bytes({ batchId, slice: MAX_SLICES - 1, certificateIds: slices.at(-1), maxConcurrency: INLINE_MAP_MAX_CONCURRENCY, request, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: parent }),
      summaryInput: bytes({
        batchId,
        maxConcurrency: MAX_BATCH_CONCURRENCY,
        request,
        plan,
        groups,
        groupResults: groups.map((g, group) => ({ group, sliceResults: sliceResults(g) })),
        error: { Error: 'States.Runtime', Cause: 'x'.repeat(32_768) },
      }),
    };
    for (const [name, size] of Object.entries(payloads)) expect(size, name).toBeLessThan(PAYLOAD_LIMIT_BYTES);
    expect(payloads.summaryInput).toBeLessThan(PAYLOAD_LIMIT_BYTES / 2);
    // The ids themselves could never ride in the state: 6.7 MB.
    expect(bytes(ids)).toBeGreaterThan(25 * PAYLOAD_LIMIT_BYTES);
    // A slice's stored item stays far under DynamoDB's 400 KB item limit.
    expect(bytes({ pk: `BATCH#${batchId}`, sk: 'SLICE#00999', slice: 999, certificateIds: slices.at(-1) })).toBeLessThan(10_000);
  });
});
