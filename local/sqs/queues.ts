// The stacks' SQS queues (dead-letter queues), in memory: what EventBridge and Lambda send them,
// refused as SQS refuses it (no such queue; a service principal the queue policy does not admit).
import { AwsError } from '../edge/types.js';

export interface QueueMessage {
  queueArn: string;
  body: string;
  /** Message attributes (EventBridge's RULE_ARN, ERROR_CODE …), as strings. */
  attributes: Record<string, string>;
  /** `events.amazonaws.com` or the role that sent it. */
  sentBy: string;
  sentAt: string;
}

interface PolicyStatement {
  Effect?: string;
  Principal?: { Service?: string | string[] } | string;
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const like = (pattern: string, value: string) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);

/** Whether the queue policy lets a service principal send on behalf of `sourceArn` (Allow only: the stacks write no Deny). */
function policyAllows(statements: PolicyStatement[], queueArn: string, service: string, sourceArn: string | undefined): boolean {
  return statements.some((s) => {
    if (s.Effect !== 'Allow') return false;
    const principal = s.Principal === '*' ? ['*'] : typeof s.Principal === 'object' ? list(s.Principal.Service) : [];
    if (!principal.includes(service) && !principal.includes('*')) return false;
    if (!list(s.Action).some((a) => a === 'sqs:SendMessage' || a === 'sqs:*' || a === '*')) return false;
    if (!list(s.Resource).some((r) => like(r, queueArn))) return false;
    for (const [operator, conditions] of Object.entries(s.Condition ?? {})) {
      for (const [key, expected] of Object.entries(conditions)) {
        const actual = key.toLowerCase() === 'aws:sourcearn' ? sourceArn : undefined;
        if (actual === undefined) return false;
        const match =
          operator === 'ArnEquals' || operator === 'StringEquals' ? (e: string) => e === actual : operator === 'ArnLike' || operator === 'StringLike' ? (e: string) => like(e, actual) : () => false;
        if (!list(expected).some(match)) return false;
      }
    }
    return true;
  });
}

export class LocalQueues {
  private readonly queues = new Map<string, { policy: PolicyStatement[]; messages: QueueMessage[] }>();

  create(queueArn: string): void {
    if (!this.queues.has(queueArn)) this.queues.set(queueArn, { policy: [], messages: [] });
  }

  /** AWS::SQS::QueuePolicy: replaces the queue's policy. */
  setPolicy(queueArn: string, statements: PolicyStatement[]): void {
    this.create(queueArn);
    this.queues.get(queueArn)!.policy = statements;
  }

  /**
   * SendMessage. A service principal (EventBridge delivering a dead letter) needs the queue
   * policy's grant for its source ARN; a role (Lambda's on-failure destination) was
   * authorized by IAM before it gets here.
   */
  send(queueArn: string, message: Pick<QueueMessage, 'body' | 'attributes'>, sender: { service: string; sourceArn?: string } | { roleArn: string }): void {
    const queue = this.queues.get(queueArn);
    if (!queue) throw new AwsError('AWS.SimpleQueueService.NonExistentQueue', `The specified queue ${queueArn} does not exist.`, 400);
    if ('service' in sender && !policyAllows(queue.policy, queueArn, sender.service, sender.sourceArn)) {
      throw new AwsError('AccessDenied', `Access to the resource ${queueArn} is denied to ${sender.service}${sender.sourceArn ? ` for ${sender.sourceArn}` : ''}.`, 403);
    }
    queue.messages.push({ queueArn, ...message, sentBy: 'service' in sender ? sender.service : sender.roleArn, sentAt: new Date().toISOString() });
  }

  /** What the queue holds (nothing is received or deleted locally), oldest first. */
  messages(queueArn?: string): QueueMessage[] {
    const all = [...this.queues.values()].flatMap((q) => q.messages);
    return structuredClone(queueArn === undefined ? all : all.filter((m) => m.queueArn === queueArn));
  }

  /** ApproximateNumberOfMessagesVisible, the metric the dead-letter alarms watch. */
  depth(queueArn: string): number {
    return this.queues.get(queueArn)?.messages.length ?? 0;
  }

  arns(): string[] {
    return [...this.queues.keys()];
  }
}
