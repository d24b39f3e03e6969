// How a batch is cut into slices, each run as a child execution of the batch machine, so that no
// execution's history or payload nears Step Functions' quotas whatever the batch size (up to its maximum).

/**
 * Certificates per slice at most. The slice's history is bounded by
 * construction: test/unit/batch/limits.test.ts computes, from the ASL, the
 * most events one certificate can add (every retrier exhausted on every path,
 * 160 today) and checks that this many of them, plus the slice's own events,
 * stay under the 25,000-event history quota (16,000 + 10 today).
 */
export const MAX_SLICE_SIZE = 100;

/**
 * Slices per batch at most: the batch's own history holds at most 34 events per
 * slice (limits.test.ts), so 500 slices stay under the quota (17,000 + 76);
 * a smaller configured slice size is raised rather than exceeded.
 */
export const MAX_SLICES = 500;

/** An inline Map runs at most 40 iterations at once (AWS; the local Step Functions enforces it too). */
export const INLINE_MAP_MAX_CONCURRENCY = 40;

/** The part of the batch machine's input that says how to slice it. */
export interface BatchPlan {
  /** Certificates per slice (the last may have fewer): `States.ArrayPartition` chunks. */
  sliceSize: number;
  slices: number;
  /** Slices running at once. */
  sliceConcurrency: number;
  /** Certificates in flight at once within each slice. */
  itemConcurrency: number;
}

/**
 * Slices of equal size (no straggler slice), as few as the quotas allow and
 * as many as the concurrency needs, never more than MAX_SLICES:
 * `sliceConcurrency × itemConcurrency` never exceeds `maxConcurrency`, and
 * each factor stays within the inline Map's 40.
 */
export function planBatch(total: number, maxConcurrency: number, maxSliceSize = MAX_SLICE_SIZE): BatchPlan {
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`a batch has at least one certificate, got ${total}`);
  const limit = Math.max(1, Math.min(maxSliceSize, MAX_SLICE_SIZE));
  const wanted = Math.min(total, MAX_SLICES, Math.max(Math.ceil(total / limit), Math.ceil(maxConcurrency / INLINE_MAP_MAX_CONCURRENCY)));
  const sliceSize = Math.ceil(total / wanted);
  const slices = Math.ceil(total / sliceSize);
  const sliceConcurrency = Math.max(1, Math.min(slices, maxConcurrency, INLINE_MAP_MAX_CONCURRENCY));
  const itemConcurrency = Math.max(1, Math.min(INLINE_MAP_MAX_CONCURRENCY, Math.floor(maxConcurrency / sliceConcurrency)));
  return { sliceSize, slices, sliceConcurrency, itemConcurrency };
}
