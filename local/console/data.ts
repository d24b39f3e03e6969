import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { FINAL_STATUSES, OPEN_STATUSES, type TransferRecord, type TransferStatus } from '../../src/types.js';
import type { EventBridgeModel, EventLogRecord } from '../eventbridge/model.js';
import type { IotModel } from '../iot/model.js';
import type { PublishedMessage, SnsModel } from '../sns/service.js';
import type { ExecutionDetail, StepFunctionsModel } from '../stepfunctions/model.js';
import type { ServerlessStack } from '../serverless/stack.js';
import type { ResourceValues } from '../cloudformation/intrinsics.js';
import { layoutDefinition, type StateGraph } from './graph.js';
import { readHistory, type HistoryRow, type StateRun } from './history.js';
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
  stacks: { account: string; stack: ServerlessStack; stateMachines: Record<string, string>; resources: Record<string, ResourceValues> }[];
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
  total: number;
  createdAt: string;
  byStatus: Partial<Record<TransferStatus, number>>;
  open: number;
}

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

const LIST_FIELDS = ['transferId', 'status', 'certificateId', 'sourceAccount', 'targetAccount', 'createdAt', 'updatedAt', 'batchId', 'executionArn', 'cancelRequestedAt', 'reason', 'restore', 'decision'];
/** Transfers the list looks at, newest first; older ones are counted as "more". */
const SCAN_CAP = 5_000;

const displayStatus = (r: Pick<TransferRecord, 'status' | 'cancelRequestedAt'>): TransferRow['status'] =>
  r.status === 'AWAITING_DECISION' && r.cancelRequestedAt ? 'CANCELLING' : r.status;

export class ConsoleData {
  private readonly ddb: DynamoDBDocumentClient;
  private readonly graphs = new Map<string, StateGraph>();
  readonly tableName: string;

  constructor(private readonly deps: ConsoleDeps) {
    const source = deps.stacks.find((s) => s.account === deps.sourceAccount) ?? deps.stacks[0];
    const tableId = Object.entries(source.stack.resources).find(([, r]) => r.Type === 'AWS::DynamoDB::Table')?.[0];
    if (!tableId) throw new Error('The source stack declares no DynamoDB table: the console has no transfers to show');
    this.tableName = source.resources[tableId].ref;
    this.ddb = DynamoDBDocumentClient.from(new DynamoDBClient({
      endpoint: deps.awsUrl,
      region: deps.region,
      credentials: { accessKeyId: deps.sourceAccount, secretAccessKey: 'x' },
    }), { marshallOptions: { removeUndefinedValues: true } });
  }

  /** The transfer state machine's ARN in the source stack. */
  get stateMachineArn(): string | undefined {
    const source = this.deps.stacks.find((s) => s.account === this.deps.sourceAccount) ?? this.deps.stacks[0];
    return Object.values(source.stateMachines)[0];
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
    // One light pass over the creation index: counts, batches and which rows to show.
    const light: Pick<TransferRecord, 'transferId' | 'status' | 'batchId' | 'createdAt' | 'cancelRequestedAt'>[] = [];
    let key: Record<string, unknown> | undefined;
    let truncated = false;
    do {
      const out = await this.ddb.send(new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byCreation',
        KeyConditionExpression: 'gsi3pk = :pk',
        ExpressionAttributeValues: { ':pk': 'TRANSFER' },
        ProjectionExpression: 'transferId, #s, batchId, createdAt, cancelRequestedAt',
        ExpressionAttributeNames: { '#s': 'status' },
        ScanIndexForward: false,
        ExclusiveStartKey: key,
      }));
      for (const item of out.Items ?? []) light.push(item as (typeof light)[number]);
      key = out.LastEvaluatedKey;
      if (light.length >= SCAN_CAP && key) {
        truncated = true;
        break;
      }
    } while (key);

    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<TransferStatus, number>;
    const batches = new Map<string, BatchRow>();
    for (const r of light) {
      counts[r.status] = (counts[r.status] ?? 0) + 1;
      if (!r.batchId) continue;
      const b = batches.get(r.batchId) ?? { batchId: r.batchId, total: 0, createdAt: r.createdAt, byStatus: {}, open: 0 };
      b.total += 1;
      b.byStatus[r.status] = (b.byStatus[r.status] ?? 0) + 1;
      if (!FINAL.has(r.status)) b.open += 1;
      if (r.createdAt < b.createdAt) b.createdAt = r.createdAt;
      batches.set(r.batchId, b);
    }

    const wanted = light.filter((r) => (!q.status || r.status === q.status || (q.status === 'CANCELLING' && displayStatus(r) === 'CANCELLING'))
      && (!q.batchId || r.batchId === q.batchId));
    const ids = wanted.slice(0, limit).map((r) => r.transferId);
    const records = await this.getMany(ids);
    const transfers = ids.map((id) => records.get(id)).filter((r): r is TransferRecord => r !== undefined).map((r) => this.row(r));

    return {
      generatedAt: new Date().toISOString(),
      sourceAccount: this.deps.sourceAccount,
      region: this.deps.region,
      total: light.length,
      truncated,
      counts,
      transfers,
      matching: wanted.length,
      batches: [...batches.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
    };
  }

  private async getMany(ids: string[]): Promise<Map<string, TransferRecord>> {
    const found = new Map<string, TransferRecord>();
    for (let i = 0; i < ids.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = ids.slice(i, i + 100).map((id) => ({ pk: `TRANSFER#${id}`, sk: 'TRANSFER' }));
      // The list never reads the task token: it is not in the projection.
      while (keys?.length) {
        const out = await this.ddb.send(new BatchGetCommand({
          RequestItems: {
            [this.tableName]: {
              Keys: keys,
              ProjectionExpression: LIST_FIELDS.map((_f, j) => `#f${j}`).join(', '),
              ExpressionAttributeNames: Object.fromEntries(LIST_FIELDS.map((f, j) => [`#f${j}`, f])),
            },
          },
        }));
        for (const item of out.Responses?.[this.tableName] ?? []) found.set(String(item.transferId), item as TransferRecord);
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
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
    const { Item } = await this.ddb.send(new GetCommand({ TableName: this.tableName, Key: { pk: `TRANSFER#${transferId}`, sk: 'TRANSFER' }, ConsistentRead: true }));
    if (!Item) return undefined;
    const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, gsi3pk: _e, gsi3sk: _f, ...record } = Item;
    return record as TransferRecord;
  }

  async detail(transferId: string): Promise<TransferDetail | undefined> {
    const record = await this.getRecord(transferId);
    if (!record) return undefined;
    const redactor = new Redactor();
    redactor.remember(record.taskToken);
    const { taskToken: _token, ...publicRecord } = record;

    const exec = record.executionArn ? this.deps.sfn.getExecution(record.executionArn) : undefined;
    const definition = exec?.definition ?? (this.stateMachineArn ? this.deps.sfn.getDefinition(this.stateMachineArn) : undefined);
    const path = exec ? readHistory(exec.history, exec) : { states: {}, transitions: [], current: [], rows: [] };
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
      certificate,
      events: this.eventsFor(record),
      notifications: this.notificationsFor(record),
      actions: {
        cancel: awaiting && !record.cancelRequestedAt
          ? { allowed: true }
          : { allowed: false, why: record.cancelRequestedAt && awaiting ? 'A cancel has been requested and is being carried out' : `Only a transfer awaiting a decision can be cancelled; this one is ${record.status}` },
        decide: awaiting && !record.cancelRequestedAt && pending
          ? { allowed: true, account: record.targetAccount }
          : { allowed: false, account: record.targetAccount, why: awaiting ? 'The certificate is not pending transfer to the target account' : `The transfer is ${record.status}` },
      },
    };
    return redactor.redact(detail);
  }

  private certificate(record: TransferRecord): TransferDetail['certificate'] {
    const { iot, region } = this.deps;
    const overview = iot.findCertificate(record.certificateId, region);
    const views = ([['source', record.sourceAccount], ['target', record.targetAccount]] as const).map(([role, account]): CertificateView => {
      const owner = overview?.ownedBy === account;
      try {
        // The operation method itself: what DescribeCertificate answers this account, without spending its quota.
        const d = iot.describeCertificate({ account, region }, { certificateId: record.certificateId }).certificateDescription;
        return {
          account, role, visible: true, status: d.status, ownedBy: d.ownedBy, previousOwnedBy: d.previousOwnedBy,
          transferData: d.transferData as Record<string, unknown> | undefined, lastModifiedDate: d.lastModifiedDate.toISOString(),
          policies: owner ? overview!.policies : [], things: owner ? overview!.things : [],
        };
      } catch (err) {
        return { account, role, visible: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err), policies: [], things: [] };
      }
    });
    return { overview: overview ? JSON.parse(JSON.stringify(overview)) as Record<string, unknown> : undefined, views };
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
    return this.deps.events.recentEvents().filter(related).map((r) => ({
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
