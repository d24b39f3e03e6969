// How a batch is cut into slices and the slices into groups, each run as a child execution of the batch
// machine, so that no execution's history or payload nears Step Functions' quotas whatever the batch size
// (up to its maximum, 100,000 certificates).

/**
 * Certificates per slice at most. The slice's history is bounded by
 * construction: test/unit/batch/limits.test.ts computes, from the ASL, the
 * most events one certificate can add (every retrier exhausted on every path,
 * 160 today) and checks that this many of them, plus the slice's own events,
 * stay under the 25,000-event history quota (16,000 + 10 today).
 */
export const MAX_SLICE_SIZE = 100;

/**
 * Slices per batch at most: 1,000 slices of 100 hold the largest batch. A
 * smaller configured slice size is raised rather than exceeded.
 */
export const MAX_SLICES = 1000;

/**
 * Slices per group at most: a group writes at most 96 events per slice
 * (limits.test.ts), so 100 slices stay under the quota (9,600 + 10), and the
 * batch runs at most 10 groups (34 events each).
 */
export const MAX_GROUP_SLICES = 100;

/** An inline Map runs at most 40 iterations at once (AWS; the local Step Functions enforces it too). */
export const INLINE_MAP_MAX_CONCURRENCY = 40;

/** The part of the batch machine's input that says how to cut it. */
export interface BatchPlan {
  /** Certificates per slice (the last may have fewer). */
  sliceSize: number;
  slices: number;
  /** Child executions that each run up to MAX_GROUP_SLICES slices. */
  groups: number;
  /** Groups running at once. */
  groupConcurrency: number;
  /** Slices running at once within each group. */
  sliceConcurrency: number;
  /** Certificates in flight at once within each slice. */
  itemConcurrency: number;
}

/**
 * Slices of equal size (no straggler slice), as few as the quotas allow and
 * as many as the concurrency needs, never more than MAX_SLICES, in groups of
 * equal size: `groupConcurrency × sliceConcurrency × itemConcurrency` never
 * exceeds `maxConcurrency`, and each factor stays within the inline Map's 40.
 */
export function planBatch(total: number, maxConcurrency: number, maxSliceSize = MAX_SLICE_SIZE): BatchPlan {
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`a batch has at least one certificate, got ${total}`);
  if (total > MAX_SLICES * MAX_SLICE_SIZE) throw new RangeError(`a batch has at most ${MAX_SLICES * MAX_SLICE_SIZE} certificates, got ${total}`);
  const limit = Math.max(1, Math.min(maxSliceSize, MAX_SLICE_SIZE));
  const wanted = Math.min(total, MAX_SLICES, Math.max(Math.ceil(total / limit), Math.ceil(maxConcurrency / INLINE_MAP_MAX_CONCURRENCY)));
  const sliceSize = Math.ceil(total / wanted);
  const slices = Math.ceil(total / sliceSize);
  // Slices in flight across the batch, then shared between the groups.
  const slicesAtOnce = Math.max(1, Math.min(slices, maxConcurrency, INLINE_MAP_MAX_CONCURRENCY));
  const itemConcurrency = Math.max(1, Math.min(INLINE_MAP_MAX_CONCURRENCY, Math.floor(maxConcurrency / slicesAtOnce)));
  const groups = Math.ceil(slices / MAX_GROUP_SLICES);
  // As many groups at once as keep every slice slot busy: 15 slots over 10 groups is 5 groups of 3, not 10 of 1.
  let groupConcurrency = Math.min(groups, slicesAtOnce);
  for (let g = groupConcurrency; g >= 1; g--) if (g * Math.floor(slicesAtOnce / g) > groupConcurrency * Math.floor(slicesAtOnce / groupConcurrency)) groupConcurrency = g;
  const sliceConcurrency = Math.max(1, Math.floor(slicesAtOnce / groupConcurrency));
  return { sliceSize, slices, groups, groupConcurrency, sliceConcurrency, itemConcurrency };
}

/** The slice numbers of each group, in order: groups of equal size, the last may have fewer. */
export function groupSlices(plan: Pick<BatchPlan, 'slices' | 'groups'>): number[][] {
  const size = Math.ceil(plan.slices / plan.groups);
  return Array.from({ length: plan.groups }, (_, g) => Array.from({ length: Math.min(size, plan.slices - g * size) }, (_, i) => g * size + i));
}

/** The certificates cut into the plan's slices. */
export function cutSlices(certificateIds: readonly string[], plan: Pick<BatchPlan, 'sliceSize'>): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < certificateIds.length; i += plan.sliceSize) out.push(certificateIds.slice(i, i + plan.sliceSize));
  return out;
}
