// The largest batch allowed stays within Step Functions' quotas by construction: the arithmetic, from the real
// transfer-batch.asl.yml, of the most history events a slice and the batch can write, and of their largest payloads.
import { describe, expect, it } from 'vitest';
import { loadServerlessStack } from '../../../local/serverless/stack.js';
import { resolveIntrinsics } from '../../../local/cloudformation/intrinsics.js';
import { HISTORY_EVENT_LIMIT, PAYLOAD_LIMIT_BYTES } from '../../../local/stepfunctions/limits.js';
import { INLINE_MAP_MAX_CONCURRENCY, MAX_SLICES, MAX_SLICE_SIZE, planBatch } from '../../../src/batch/plan.js';
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

  it(`the batch itself, with ${MAX_SLICES} slices at most, writes fewer than ${HISTORY_EVENT_LIMIT} events`, () => {
    const perSlice = iterationEvents(states['Transfer Each Slice']);
    expect(perSlice).toBe(2 + (2 + 7 * 4) + 2); // Run Slice with its 6 retries, Slice Done / Slice Failed
    const longestEnd = longestPath(states, 'Summarize Batch'); // Summarize Batch 62, Batch Failed? 2, an end 2
    const batch = EXECUTION_EVENTS + pathEvents(states, ['Batch Or Slice?', 'Plan Slices', 'Transfer Each Slice'], MAX_SLICES) + longestEnd;
    expect(batch).toBe(2 + 2 + 2 + (4 + MAX_SLICES * perSlice) + 66); // 17,076
    expect(batch).toBeLessThan(HISTORY_EVENT_LIMIT);
  });

  it('every plan of an allowed batch keeps to those bounds: slice size, slice count, concurrency', () => {
    for (const configured of [1, 2, 7, 50, MAX_SLICE_SIZE]) {
      for (let total = 1; total <= MAX_BATCH_SIZE; total += total < 120 ? 1 : 37) {
        for (const maxConcurrency of [1, 2, 3, 39, 40, 41, 79, 80, 99, MAX_BATCH_CONCURRENCY]) {
          const plan = planBatch(total, maxConcurrency, configured);
          const label = JSON.stringify({ configured, total, maxConcurrency, plan });
          expect(plan.sliceSize, label).toBeLessThanOrEqual(MAX_SLICE_SIZE);
          expect(plan.slices, label).toBeLessThanOrEqual(MAX_SLICES);
          expect(plan.slices, label).toBe(Math.ceil(total / plan.sliceSize)); // what States.ArrayPartition makes
          expect(plan.sliceConcurrency * plan.itemConcurrency, label).toBeLessThanOrEqual(maxConcurrency);
          expect(Math.max(plan.sliceConcurrency, plan.itemConcurrency), label).toBeLessThanOrEqual(INLINE_MAP_MAX_CONCURRENCY);
        }
      }
    }
    // The concurrency asked for is used: 100 in flight needs three slices even for 100 certificates.
    expect(planBatch(100, 100)).toEqual({ sliceSize: 34, slices: 3, sliceConcurrency: 3, itemConcurrency: 33 });
    expect(planBatch(1000, 40)).toEqual({ sliceSize: 100, slices: 10, sliceConcurrency: 10, itemConcurrency: 4 });
    expect(planBatch(150, 40)).toEqual({ sliceSize: 75, slices: 2, sliceConcurrency: 2, itemConcurrency: 20 });
  });

  it(`the largest payloads stay under ${PAYLOAD_LIMIT_BYTES} bytes: the batch input, its slices, a slice's input, the summary's input`, () => {
    const ids = Array.from({ length: MAX_BATCH_SIZE }, (_, i) => i.toString(16).padStart(64, 'f'));
    // Every string field at its longest, with characters JSON escapes to six bytes.
    const request = { targetAccount: '222222222222', transferMessage: '\u0001'.repeat(128), timeoutSeconds: 31_104_000, restoreOnFailure: true, requestId: 'r'.repeat(128) };
    const plan = planBatch(MAX_BATCH_SIZE, MAX_BATCH_CONCURRENCY, 1);
    const batchId = crypto.randomUUID();
    const slices = Array.from({ length: plan.slices }, (_, n) => ids.slice(n * plan.sliceSize, (n + 1) * plan.sliceSize));
    const bytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');
    const payloads = {
      batchInput: bytes({ batchId, certificateIds: ids, maxConcurrency: MAX_BATCH_CONCURRENCY, request, plan }),
      planned: bytes({ batchId, request, plan, slices }),
      summaryInput: bytes({ batchId, request, plan, slices, sliceResults: slices.map((_, slice) => ({ slice, error: 'States.TaskFailed' })), error: { Error: 'States.Runtime', Cause: 'x'.repeat(32_768) } }),
      sliceInput: bytes({ batchId, slice: MAX_SLICES - 1, certificateIds: ids.slice(0, MAX_SLICE_SIZE), maxConcurrency: INLINE_MAP_MAX_CONCURRENCY, request, AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: `arn:aws:states:us-east-1:111111111111:execution:certificate-transfer-batch-${'s'.repeat(60)}:${batchId}` }),
    };
    for (const [name, size] of Object.entries(payloads)) expect(size, name).toBeLessThan(PAYLOAD_LIMIT_BYTES);
    expect(payloads.summaryInput).toBeLessThan(PAYLOAD_LIMIT_BYTES / 2);
  });
});
