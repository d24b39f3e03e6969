import { randomUUID } from 'node:crypto';
import { paginateListCertificates } from '@aws-sdk/client-iot';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { iot } from '../clients/iot.js';
import { sfn } from '../clients/sfn.js';
import { config } from '../config.js';
import { ValidationError, WorkflowStartFailed } from '../errors.js';
import { executionArnFor } from '../transfer/start.js';
import { MAX_BATCH_SIZE, type BatchFilter, type BatchRequest } from '../validation.js';
import { manifestOf, readManifest } from './manifest.js';
import { cutSlices, groupSlices, planBatch } from './plan.js';
import { createBatch, failBatch, saveSlices } from './store.js';
import type { BatchRecord, BatchWorkflowInput } from './types.js';

export interface Selection {
  certificateIds: string[];
  /** More certificates matched than the limit: run the same filter again once this batch is done. */
  truncated: boolean;
}

/**
 * The certificates of this account a filter selects, oldest first
 * (ListCertificates, 250 a page). Only ACTIVE and INACTIVE ones: a certificate
 * pending a transfer, revoked or awaiting registration cannot be transferred.
 * Stops at the limit, at `createdBefore`, or when `deadline` (epoch ms) comes.
 */
export async function selectCertificates(filter: BatchFilter, deadline = Date.now() + 20_000): Promise<Selection> {
  const limit = Math.min(filter.limit ?? MAX_BATCH_SIZE, MAX_BATCH_SIZE);
  const statuses = filter.status ? [filter.status] : ['ACTIVE', 'INACTIVE'];
  const after = filter.createdAfter ? Date.parse(filter.createdAfter) : undefined;
  const before = filter.createdBefore ? Date.parse(filter.createdBefore) : undefined;
  const ids: string[] = [];
  for await (const page of paginateListCertificates({ client: iot, pageSize: 250 }, { ascendingOrder: true })) {
    for (const c of page.certificates ?? []) {
      const created = c.creationDate?.getTime();
      if (before !== undefined && created !== undefined && created >= before) return { certificateIds: ids, truncated: false };
      if (!c.certificateId || !statuses.includes(String(c.status))) continue;
      if (after !== undefined && (created === undefined || created < after)) continue;
      if (ids.length === limit) return { certificateIds: ids, truncated: true };
      ids.push(c.certificateId);
    }
    if (Date.now() > deadline) {
      throw new ValidationError('filter', 'filter has to look through too many certificates to answer in time: narrow it with createdBefore, or list certificateIds');
    }
  }
  return { certificateIds: ids, truncated: false };
}

/**
 * Starts a batch: reads the certificates (from a manifest) or selects them (by a filter), records the
 * batch, starts the transfer-batch workflow named after it. Each certificate
 * is then validated and prepared by the workflow, exactly as POST /transfers
 * does; those that cannot be transferred are reported, not fatal.
 */
export async function startBatch(request: BatchRequest, deadline?: number): Promise<{ batch: BatchRecord; truncated: boolean }> {
  let certificateIds = request.certificateIds;
  let truncated = false;
  let manifest: BatchRecord['manifest'];
  if (request.manifest) {
    const ref = manifestOf(request.manifest);
    const read = await readManifest(ref);
    certificateIds = read.certificateIds;
    manifest = { ...ref, ...(read.etag ? { etag: read.etag } : {}) };
  }
  if (!certificateIds) {
    const selection = await selectCertificates(request.filter ?? {}, deadline);
    if (selection.certificateIds.length === 0) throw new ValidationError('filter', 'filter selects no transferable certificate (ACTIVE or INACTIVE) of this account');
    ({ certificateIds, truncated } = selection);
  }

  const batchId = randomUUID();
  const at = new Date().toISOString();
  const batch: BatchRecord = {
    batchId,
    status: 'RUNNING',
    sourceAccount: config.accountId,
    targetAccount: request.targetAccount,
    transferMessage: request.transferMessage,
    timeoutSeconds: request.timeoutSeconds,
    restoreOnFailure: request.restoreOnFailure,
    maxConcurrency: request.maxConcurrency,
    requestId: request.requestId,
    filter: request.filter,
    manifest,
    total: certificateIds.length,
    executionArn: executionArnFor(config.batchStateMachineArn, batchId),
    createdAt: at,
    updatedAt: at,
  };
  await createBatch(batch);

  const plan = planBatch(certificateIds.length, request.maxConcurrency, config.batchSliceSize);
  const input: BatchWorkflowInput = {
    batchId,
    maxConcurrency: request.maxConcurrency,
    request: {
      targetAccount: request.targetAccount,
      transferMessage: request.transferMessage,
      timeoutSeconds: request.timeoutSeconds,
      restoreOnFailure: request.restoreOnFailure,
      requestId: request.requestId,
    },
    plan,
    groups: groupSlices(plan),
  };
  try {
    await saveSlices(batchId, cutSlices(certificateIds, plan));
    await sfn.send(new StartExecutionCommand({ stateMachineArn: config.batchStateMachineArn, name: batchId, input: JSON.stringify(input) }));
  } catch (err) {
    await failBatch(batchId, `The batch workflow could not be started: ${err instanceof Error ? err.message : String(err)}`);
    throw new WorkflowStartFailed('The batch workflow could not be started; no transfer was opened, try again', { cause: err });
  }
  return { batch, truncated };
}
