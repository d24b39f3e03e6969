import { randomUUID } from 'node:crypto';
import type { AwsRequest, AwsResponse, ServiceProvider } from '../edge/types.js';

/**
 * Amazon SNS, just enough for the target kit's notify-only mode: topics and
 * Publish, over the awsQuery protocol (form-encoded request, XML response).
 * Published messages are kept for the web console and tests to read.
 */
export interface PublishedMessage {
  messageId: string;
  account: string;
  topicArn: string;
  subject?: string;
  message: string;
  at: string;
}

const NS = 'http://sns.amazonaws.com/doc/2010-03-31/';
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function xml(action: string, result: string): AwsResponse {
  return {
    status: 200,
    headers: { 'content-type': 'text/xml' },
    body: `<${action}Response xmlns="${NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
  };
}

function error(status: number, code: string, message: string): AwsResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-query-error': `${code};Sender` },
    body: `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${esc(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

export class SnsModel {
  private readonly topics = new Set<string>();
  readonly messages: PublishedMessage[] = [];
  private readonly listeners = new Set<(m: PublishedMessage) => void>();

  createTopic(account: string, region: string, name: string): string {
    const arn = `arn:aws:sns:${region}:${account}:${name}`;
    this.topics.add(arn);
    return arn;
  }

  onMessage(fn: (m: PublishedMessage) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  handle(req: AwsRequest): AwsResponse {
    const form = new URLSearchParams(req.body.toString('utf8'));
    const action = form.get('Action') ?? '';
    switch (action) {
      case 'CreateTopic': {
        const name = form.get('Name') ?? '';
        if (!/^[A-Za-z0-9_-]{1,256}$/.test(name)) return error(400, 'InvalidParameter', 'Invalid parameter: Topic Name');
        return xml(action, `<TopicArn>${esc(this.createTopic(req.account, req.region, name))}</TopicArn>`);
      }
      case 'ListTopics':
        return xml(
          action,
          `<Topics>${[...this.topics]
            .filter((t) => t.split(':')[4] === req.account)
            .map((t) => `<member><TopicArn>${esc(t)}</TopicArn></member>`)
            .join('')}</Topics>`,
        );
      case 'Publish': {
        const topicArn = form.get('TopicArn') ?? '';
        const message = form.get('Message');
        if (!message) return error(400, 'InvalidParameter', 'Invalid parameter: Message');
        if (!this.topics.has(topicArn)) return error(404, 'NotFound', 'Topic does not exist');
        if (topicArn.split(':')[4] !== req.account)
          return error(403, 'AuthorizationError', `User: arn:aws:iam::${req.account}:root is not authorized to perform: SNS:Publish on resource: ${topicArn}`);
        const m: PublishedMessage = { messageId: randomUUID(), account: req.account, topicArn, subject: form.get('Subject') ?? undefined, message, at: new Date().toISOString() };
        this.messages.push(m);
        if (this.messages.length > 1000) this.messages.shift();
        for (const l of this.listeners) l(m);
        return xml(action, `<MessageId>${m.messageId}</MessageId>`);
      }
      default:
        return error(501, 'NotImplemented', `SNS action ${action || '(none)'} is not implemented by the local cloud`);
    }
  }
}

export function createSnsProvider(model: SnsModel): ServiceProvider {
  return { name: 'sns', signingNames: ['sns'], handle: async (req) => model.handle(req) };
}
