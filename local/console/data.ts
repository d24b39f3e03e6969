import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { batchKey, batchPartition, CREATION_SHARDS, creationPartition, SKIPPED_PREFIX, transferIdOfKey, transferKey } from '../../src/keys.js';
import { publicView, toRecord } from '../../src/record.js';
import { FINAL_STATUSES, OPEN_STATUSES, type TransferRecord, type TransferStatus } from '../../src/types.js';
import type { DeployedStack } from '../deployed-stack.js';
import type { EventBridgeModel, EventLogRecord } from '../eventbridge/model.js';
import type { IotModel } from '../iot/model.js';
import type { PublishedMessage, SnsModel } from '../sns/service.js';
import type { ExecutionDetail, StepFunctionsModel } from '../stepfunctions/model.js';
import { layoutDefinition, type StateGraph } from './graph.js';
import { readHistory, type HistoryRow, type StateRun, type StateVisit } from './history.js';
import { Redactor } from './redact.js';

/** What the console reads: the emulators' models in-process, the transfer table through the AWS endpoint. */
export interface ConsoleDeps {
  awsUrl: string;
  region: string;
  sourceAccount: string;
  iot: IotModel;
  sfn: StepFunctionsModel;
  events: EventBridgeModel;
  sns: SnsModel;
  stacks: DeployedStack[];
}

export const STATUSES: readonly TransferStatus[] = [...OPEN_STATUSES, ...FINAL_STATUSES];
const FINAL = new Set<string>(FINAL_STATUSES);

/** A row of the transfer list. */
export interface TransferRow {
  transferId: string;
  /** The record's status, or CANCELLING while a requested cancel is being carried out. */
  status: TransferStatus | 'CANCELLING';
  certificateId: string;
  sourceAccount: string;
  targetAccount: string;
  createdAt: string;
  updatedAt: string;
  batchId?: string;
  executionStatus?: string;
  /** States the execution is in now. */
  currentStates: string[];
  outcome?: { status: string; restore?: string; reason?: string; decidedVia?: string };
}

export interface BatchRow {
  batchId: string;
  /** The batch record's status (RUNNING, COMPLETED, FAILED), else its execution's. */
  status?: string;
  targetAccount?: string;
  /** Certificates in the batch (the record's total), else the transfers seen. */
  total: number;
  createdAt: string;
  /** Transfers of the batch by status. */
  byStatus: Partial<Record<TransferStatus, number>>;
  /** Certificates the batch could not start a transfer for. */
  notStarted: number;
  /** The first of them ({@link NOT_STARTED_SHOWN}), with the error and the reason the batch recorded. */
  notStartedItems: NotStartedCertificate[];
  /** Certificates whose fate is sealed: a final transfer, or not started. */
  done: number;
  error?: string;
}

/** A certificate a batch could not start a transfer for (its `SKIP#` item), and why. */
export interface NotStartedCertificate {
  certificateId: string;
  error?: string;
  reason?: string;
  at?: string;
}

/** Not-started certificates listed per batch row; the count says how many more. */
export const NOT_STARTED_SHOWN = 20;

export interface Overview {
  generatedAt: string;
  sourceAccount: string;
  region: string;
  total: number;
  /** More transfers exist than the console scanned. */
  truncated: boolean;
  counts: Record<TransferStatus, number>;
  transfers: TransferRow[];
  /** Transfers matching the filter (before `limit`). */
  matching: number;
  batches: BatchRow[];
}

export interface CertificateView {
  account: string;
  role: 'source' | 'target';
  /** What DescribeCertificate answers this account (as the AWS CLI would see it). */
  visible: boolean;
  status?: string;
  ownedBy?: string;
  previousOwnedBy?: string;
  transferData?: Record<string, unknown>;
  lastModifiedDate?: string;
  error?: string;
  /** Attachments in this account (the owner's only). */
  policies: string[];
  things: { thingName: string; thingPrincipalType: string }[];
}

export interface TransferDetail {
  generatedAt: string;
  transfer: Omit<TransferRecord, 'taskToken'> & { displayStatus: TransferRow['status'] };
  execution?: Omit<ExecutionDetail, 'history' | 'definition'>;
  graph?: StateGraph;
  states: Record<string, StateRun>;
  transitions: { from: string; to: string }[];
  current: string[];
  history: HistoryRow[];
  /** Every state entered, in order, with its duration (the state table). */
  visits: StateVisit[];
  transitionCount: number;
  certificate: { overview?: Record<string, unknown>; views: CertificateView[] };
  events: ConsoleEvent[];
  notifications: PublishedMessage[];
  actions: {
    cancel: { allowed: boolean; why?: string };
    decide: { allowed: boolean; account: string; why?: string };
  };
}

export interface ConsoleEvent {
  eventId: string;
  receivedAt: string;
  busAccount: string;
  busName: string;
  sender: string;
  detailType: string;
  source: string;
  status: string;
  detail: unknown;
  deliveries: { ruleName: string; targetArn: string; status: string; attempts: number; error?: string }[];
}

const LIST_FIELDS = [
  'transferId',
  'status',
  'certificateId',
  'sourceAccount',
  'targetAccount',
  'createdAt',
  'updatedAt',
  'batchId',
  'executionArn',
  'cancelRequestedAt',
  'reason',
  'restore',
  'decision',
];
/** Transfers the list looks at, newest first; older ones are counted as "more". */
const SCAN_CAP = 5_000;

const displayStatus = (r: Pick<TransferRecord, 'status' | 'cancelRequestedAt'>): TransferRow['status'] => (r.status === 'AWAITING_DECISION' && r.cancelRequestedAt ? 'CANCELLING' : r.status);

export class ConsoleData {
  private readonly ddb: DynamoDBDocumentClient;
  private readonly graphs = new Map<string, StateGraph>();
  readonly tableName: string;

  constructor(private readonly deps: ConsoleDeps) {
    const source = deps.stacks.find((s) => s.account === deps.sourceAccount) ?? deps.stacks[0];
    const tableId = Object.entries(source.stack.resources).find(([, r]) => r.Type === 'AWS::DynamoDB::Table')?.[0];
    if (!tableId) throw new Error('The source stack declares no DynamoDB table: the console has no transfers to show');
    this.tableName = source.resources[tableId].ref;
    this.ddb = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: deps.awsUrl,
        region: deps.region,
        credentials: { accessKeyId: deps.sourceAccount, secretAccessKey: 'x' },
      }),
      { marshallOptions: { removeUndefinedValues: true } },
    );
  }

  private get sourceStack() {
    return this.deps.stacks.find((s) => s.account === this.deps.sourceAccount) ?? this.deps.stacks[0];
  }

  /** The transfer state machine's ARN in the source stack. */
  get stateMachineArn(): string | undefined {
    const machines = this.sourceStack.stateMachines;
    return machines.certificateTransfer ?? Object.values(machines)[0];
  }

  /** The batch state machine's ARN, when the stack has one (its executions are named after their batch). */
  get batchStateMachineArn(): string | undefined {
    return Object.entries(this.sourceStack.stateMachines).find(([key, arn]) => key !== 'certificateTransfer' && arn !== this.stateMachineArn && /batch/i.test(key))?.[1];
  }

  graphOf(definition: string): StateGraph {
    let g = this.graphs.get(definition);
    if (!g) {
      g = layoutDefinition(definition);
      this.graphs.set(definition, g);
    }
    return g;
  }

  async overview(q: { status?: string; batchId?: string; limit?: number }): Promise<Overview> {
    const limit = Math.min(Math.max(Math.trunc(q.limit ?? 100), 1), 500);
    // One light pass over the creation index's shards (keys only, as the index projects them),
    // newest first, then the few fields the counts and rows need, read by key.
    const keys: { pk: string; sk: string; order: string }[] = [];
    let truncated = false;
    for (let shard = 0; shard < CREATION_SHARDS; shard++) {
      let key: Record<string, unknown> | undefined;
      do {
        const out = await this.ddb.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: 'byCreation',
            KeyConditionExpression: 'gsi3pk = :pk',
            ExpressionAttributeValues: { ':pk': creationPartition(shard) },
            ScanIndexForward: false,
            ExclusiveStartKey: key,
          }),
        );
        for (const item of out.Items ?? []) keys.push({ pk: String(item.pk), sk: String(item.sk), order: String(item.gsi3sk) });
        key = out.LastEvaluatedKey;
        if (keys.length >= SCAN_CAP && key) {
          truncated = true;
          break;
        }
      } while (key);
    }
    keys.sort((a, b) => (a.order < b.order ? 1 : a.order > b.order ? -1 : 0));
    const fetched = await this.getItems(
      keys.slice(0, SCAN_CAP).map(({ pk, sk }) => ({ pk, sk })),
      ['transferId', 'status', 'batchId', 'createdAt', 'cancelRequestedAt'],
    );
    const byId = new Map(fetched.map((r) => [String(r.transferId), r]));
    const light = keys
      .slice(0, SCAN_CAP)
      .map((k) => byId.get(transferIdOfKey(k)))
      .filter((r): r is Record<string, unknown> => r !== undefined) as unknown as Pick<TransferRecord, 'transferId' | 'status' | 'batchId' | 'createdAt' | 'cancelRequestedAt'>[];

    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<TransferStatus, number>;
    for (const r of light) counts[r.status] = (counts[r.status] ?? 0) + 1;
    const batches = await this.batches(light);

    const wanted = light.filter((r) => (!q.status || r.status === q.status || (q.status === 'CANCELLING' && displayStatus(r) === 'CANCELLING')) && (!q.batchId || r.batchId === q.batchId));
    const ids = wanted.slice(0, limit).map((r) => r.transferId);
    const records = await this.getMany(ids);
    const transfers = ids
      .map((id) => records.get(id))
      .filter((r): r is TransferRecord => r !== undefined)
      .map((r) => this.row(r));

    return {
      generatedAt: new Date().toISOString(),
      sourceAccount: this.deps.sourceAccount,
      region: this.deps.region,
      total: light.length,
      truncated,
      counts,
      transfers,
      matching: wanted.length,
      batches,
    };
  }

  /** Batches: every execution of the batch workflow and every batch id on a transfer, with the batch records. */
  private async batches(light: Pick<TransferRecord, 'status' | 'batchId' | 'createdAt'>[]): Promise<BatchRow[]> {
    const rows = new Map<string, BatchRow>();
    const row = (batchId: string, createdAt: string) => {
      let b = rows.get(batchId);
      if (!b) rows.set(batchId, (b = { batchId, total: 0, createdAt, byStatus: {}, notStarted: 0, notStartedItems: [], done: 0 }));
      return b;
    };
    const batchArn = this.batchStateMachineArn;
    const executions = batchArn ? this.deps.sfn.allExecutions({ stateMachineArn: batchArn }) : [];
    // A batch runs its groups and slices as executions of the same machine (`<batchId>-group-<n>`, `<batchId>-slice-<n>`): they are not batches.
    for (const e of executions) if (!/-(group|slice)-\d+$/.test(e.name)) row(e.name, e.startDate.toISOString()).status = e.status;
    const seen = new Map<string, number>();
    for (const r of light) {
      if (!r.batchId) continue;
      const b = row(r.batchId, r.createdAt);
      b.byStatus[r.status] = (b.byStatus[r.status] ?? 0) + 1;
      seen.set(r.batchId, (seen.get(r.batchId) ?? 0) + 1);
      if (FINAL.has(r.status)) b.done += 1;
      if (r.createdAt < b.createdAt) b.createdAt = r.createdAt;
    }
    const newest = [...rows.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, 50);
    const records = await this.getItems(
      newest.map((b) => batchKey(b.batchId)),
      ['batchId', 'status', 'total', 'targetAccount', 'createdAt', 'summary', 'error'],
    );
    const skipped = await Promise.all(newest.map((b) => this.notStarted(b.batchId)));
    newest.forEach((b, i) => {
      const rec = records.find((r) => r.batchId === b.batchId) as
        { status?: string; total?: number; targetAccount?: string; createdAt?: string; summary?: { counts?: Record<string, number> }; error?: string } | undefined;
      // Live while the batch runs (its summary is written at the end), and the summary's count once it is.
      b.notStarted = Math.max(rec?.summary?.counts?.NOT_STARTED ?? 0, skipped[i].count);
      b.notStartedItems = skipped[i].items;
      b.done += b.notStarted;
      b.total = Math.max(rec?.total ?? 0, seen.get(b.batchId) ?? 0, b.done);
      if (rec?.status) b.status = rec.status;
      if (rec?.targetAccount) b.targetAccount = rec.targetAccount;
      if (rec?.createdAt) b.createdAt = rec.createdAt;
      if (rec?.error) b.error = rec.error;
    });
    return newest;
  }

  /** The certificates a batch skipped (its `SKIP#` items, in the batch's partition): how many, and the first few with their reasons. */
  private async notStarted(batchId: string): Promise<{ count: number; items: NotStartedCertificate[] }> {
    const items: NotStartedCertificate[] = [];
    let count = 0;
    let key: Record<string, unknown> | undefined;
    do {
      const out = await this.ddb.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :skip)',
          ExpressionAttributeValues: { ':pk': batchPartition(batchId), ':skip': SKIPPED_PREFIX },
          ProjectionExpression: 'certificateId, #error, reason, #at',
          ExpressionAttributeNames: { '#error': 'error', '#at': 'at' },
          ExclusiveStartKey: key,
        }),
      );
      for (const item of out.Items ?? []) {
        count += 1;
        if (items.length < NOT_STARTED_SHOWN)
          items.push({ certificateId: String(item.certificateId), error: item.error as string | undefined, reason: item.reason as string | undefined, at: item.at as string | undefined });
      }
      key = out.LastEvaluatedKey;
    } while (key);
    return { count, items };
  }

  private async getMany(ids: string[]): Promise<Map<string, TransferRecord>> {
    // The list never reads the task token: it is not in the projection.
    const items = await this.getItems(ids.map(transferKey), LIST_FIELDS);
    return new Map(items.map((item) => [String(item.transferId), item as unknown as TransferRecord]));
  }

  /** BatchGetItem over any number of keys, only the named attributes. */
  private async getItems(keys: Record<string, unknown>[], fields: string[]): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    for (let i = 0; i < keys.length; i += 100) {
      let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + 100);
      while (pending?.length) {
        const out = await this.ddb.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: pending,
                ProjectionExpression: fields.map((_f, j) => `#f${j}`).join(', '),
                ExpressionAttributeNames: Object.fromEntries(fields.map((f, j) => [`#f${j}`, f])),
              },
            },
          }),
        );
        found.push(...(out.Responses?.[this.tableName] ?? []));
        pending = out.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return found;
  }

  private row(r: TransferRecord): TransferRow {
    const exec = r.executionArn ? this.deps.sfn.getExecution(r.executionArn) : undefined;
    return {
      transferId: r.transferId,
      status: displayStatus(r),
      certificateId: r.certificateId,
      sourceAccount: r.sourceAccount,
      targetAccount: r.targetAccount,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
      batchId: r.batchId,
      executionStatus: exec?.status,
      currentStates: exec?.status === 'RUNNING' ? exec.activeStates : [],
      outcome: FINAL.has(r.status) ? { status: r.status, restore: r.restore?.status, reason: r.reason, decidedVia: r.decision?.via } : undefined,
    };
  }

  async getRecord(transferId: string): Promise<TransferRecord | undefined> {
    const { Item } = await this.ddb.send(new GetCommand({ TableName: this.tableName, Key: transferKey(transferId), ConsistentRead: true }));
    return Item ? toRecord(Item) : undefined;
  }

  async detail(transferId: string): Promise<TransferDetail | undefined> {
    const record = await this.getRecord(transferId);
    if (!record) return undefined;
    const redactor = new Redactor();
    redactor.remember(record.taskToken);
    const publicRecord = publicView(record);

    const exec = record.executionArn ? this.deps.sfn.getExecution(record.executionArn) : undefined;
    const definition = exec?.definition ?? (this.stateMachineArn ? this.deps.sfn.getDefinition(this.stateMachineArn) : undefined);
    const path = exec ? readHistory(exec.history, exec) : { states: {}, transitions: [], current: [], rows: [], visits: [], transitionCount: 0 };
    const certificate = this.certificate(record);
    const pending = certificate.overview?.status === 'PENDING_TRANSFER' && certificate.overview?.pendingTransferTo === record.targetAccount;
    const awaiting = record.status === 'AWAITING_DECISION';

    let execution: TransferDetail['execution'];
    if (exec) {
      const { history: _h, definition: _d, ...rest } = exec;
      execution = rest;
    }
    const detail: TransferDetail = {
      generatedAt: new Date().toISOString(),
      transfer: { ...publicRecord, displayStatus: displayStatus(record) },
      execution,
      graph: definition ? this.graphOf(definition) : undefined,
      states: path.states,
      transitions: path.transitions,
      current: path.current,
      history: path.rows,
      visits: path.visits,
      transitionCount: path.transitionCount,
      certificate,
      events: this.eventsFor(record),
      notifications: this.notificationsFor(record),
      actions: {
        cancel:
          awaiting && !record.cancelRequestedAt
            ? { allowed: true }
            : {
                allowed: false,
                why:
                  record.cancelRequestedAt && awaiting ? 'A cancel has been requested and is being carried out' : `Only a transfer awaiting a decision can be cancelled; this one is ${record.status}`,
              },
        decide:
          awaiting && !record.cancelRequestedAt && pending
            ? { allowed: true, account: record.targetAccount }
            : { allowed: false, account: record.targetAccount, why: awaiting ? 'The certificate is not pending transfer to the target account' : `The transfer is ${record.status}` },
      },
    };
    return redactor.redact(detail);
  }

  private certificate(record: TransferRecord): TransferDetail['certificate'] {
    const { iot, region } = this.deps;
    const overview = iot.findCertificate(record.certificateId, region);
    const views = (
      [
        ['source', record.sourceAccount],
        ['target', record.targetAccount],
      ] as const
    ).map(([role, account]): CertificateView => {
      const owner = overview?.ownedBy === account;
      try {
        // The operation method itself: what DescribeCertificate answers this account, without spending its quota.
        const d = iot.describeCertificate({ account, region }, { certificateId: record.certificateId }).certificateDescription;
        return {
          account,
          role,
          visible: true,
          status: d.status,
          ownedBy: d.ownedBy,
          previousOwnedBy: d.previousOwnedBy,
          transferData: d.transferData as Record<string, unknown> | undefined,
          lastModifiedDate: d.lastModifiedDate.toISOString(),
          policies: owner ? overview!.policies : [],
          things: owner ? overview!.things : [],
        };
      } catch (err) {
        return { account, role, visible: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), policies: [], things: [] };
      }
    });
    return { overview: overview ? (JSON.parse(JSON.stringify(overview)) as Record<string, unknown>) : undefined, views };
  }

  /** Events about this transfer on every bus: by transfer id, or by certificate while the transfer was open. */
  private eventsFor(record: TransferRecord): ConsoleEvent[] {
    const from = Date.parse(record.createdAt) - 2_000;
    const to = FINAL.has(record.status) ? Date.parse(record.updatedAt) + 10_000 : Infinity;
    const related = (r: EventLogRecord) => {
      const d = r.event.detail as Record<string, unknown> | undefined;
      if (d?.transferId === record.transferId) return true;
      const t = Date.parse(r.receivedAt);
      return d?.certificateId === record.certificateId && !d?.transferId && t >= from && t <= to;
    };
    return this.deps.events
      .recentEvents()
      .filter(related)
      .map((r) => ({
        eventId: r.eventId,
        receivedAt: r.receivedAt,
        busAccount: r.account,
        busName: r.busName,
        sender: r.sender,
        detailType: r.event['detail-type'],
        source: r.event.source,
        status: r.status,
        detail: r.event.detail,
        deliveries: r.deliveries.map((d) => ({ ruleName: d.ruleName, targetArn: d.targetArn, status: d.status, attempts: d.attempts, error: d.error })),
      }));
  }

  private notificationsFor(record: TransferRecord): PublishedMessage[] {
    return this.deps.sns.messages.filter((m) => m.message.includes(record.transferId));
  }
}
