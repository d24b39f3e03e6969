// A packaged template's resources as CloudFormation would name them on deploy (Ref and
// Fn::GetAtt values), so tests can resolve roles, permissions and rules to real ARNs.
import { resolveIntrinsics, UnresolvableIntrinsic, type IntrinsicContext, type ResourceValues } from '../../local/cloudformation/intrinsics.js';
import { DEMO_ACCOUNTS } from '../../src/demo-accounts.js';
import type { PackagedStack } from './packaged.js';

export const DEPLOY_ACCOUNT: string = DEMO_ACCOUNTS.source;
export const DEPLOY_REGION = 'us-east-1';

type Props = Record<string, unknown>;

/** The ARN of an EventBridge rule: `rule/<name>` on the default bus, `rule/<bus>/<name>` on a custom one. */
export function ruleArn(region: string, account: string, name: string, bus?: string): string {
  return `arn:aws:events:${region}:${account}:rule/${bus && bus !== 'default' ? `${bus}/` : ''}${name}`;
}

function valuesOf(id: string, type: string, p: Props, stackName: string, region: string, account: string): ResourceValues {
  const str = (v: unknown, fallback: string) => (v === undefined ? fallback : String(v));
  switch (type) {
    case 'AWS::DynamoDB::Table': {
      const name = str(p.TableName, `${stackName}-${id}`);
      return { ref: name, attributes: { Arn: `arn:aws:dynamodb:${region}:${account}:table/${name}` } };
    }
    case 'AWS::Events::EventBus': {
      const name = String(p.Name);
      return { ref: name, attributes: { Arn: `arn:aws:events:${region}:${account}:event-bus/${name}`, Name: name } };
    }
    case 'AWS::Events::Rule': {
      const name = str(p.Name, `${stackName}-${id}`);
      // EventBusName takes a name or an ARN.
      const bus = p.EventBusName === undefined ? undefined : String(p.EventBusName).split('/').pop();
      return { ref: bus && bus !== 'default' ? `${bus}|${name}` : name, attributes: { Arn: ruleArn(region, account, name, bus) } };
    }
    case 'AWS::S3::Bucket': {
      // CloudFormation names an unnamed bucket <stack>-<logical id, lowercased>-<12 random characters>.
      const name = str(p.BucketName, `${stackName}-${id.toLowerCase()}-a1b2c3d4e5f6`.slice(-63));
      return { ref: name, attributes: { Arn: `arn:aws:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com`, RegionalDomainName: `${name}.s3.${region}.amazonaws.com` } };
    }
    case 'AWS::SNS::Topic': {
      const name = str(p.TopicName, `${stackName}-${id}`);
      const arn = `arn:aws:sns:${region}:${account}:${name}`;
      return { ref: arn, attributes: { TopicName: name, TopicArn: arn } };
    }
    case 'AWS::Lambda::Function': {
      const name = str(p.FunctionName, `${stackName}-${id}`);
      return { ref: name, attributes: { Arn: `arn:aws:lambda:${region}:${account}:function:${name}` } };
    }
    case 'AWS::StepFunctions::StateMachine': {
      const name = str(p.StateMachineName, `${stackName}-${id}`);
      const arn = `arn:aws:states:${region}:${account}:stateMachine:${name}`;
      return { ref: arn, attributes: { Arn: arn, Name: name } };
    }
    case 'AWS::IAM::Role': {
      const name = str(p.RoleName, `${stackName}-${id}`);
      return { ref: name, attributes: { Arn: `arn:aws:iam::${account}:role${str(p.Path, '/')}${name}`, RoleId: `AROA${id.toUpperCase()}` } };
    }
    case 'AWS::Logs::LogGroup': {
      const name = str(p.LogGroupName, `${stackName}-${id}`);
      return { ref: name, attributes: { Arn: `arn:aws:logs:${region}:${account}:log-group:${name}:*` } };
    }
    case 'AWS::SQS::Queue': {
      const name = str(p.QueueName, `${stackName}-${id}-A1B2C3D4E5F6`);
      return {
        ref: `https://sqs.${region}.amazonaws.com/${account}/${name}`,
        attributes: { Arn: `arn:aws:sqs:${region}:${account}:${name}`, QueueName: name, QueueUrl: `https://sqs.${region}.amazonaws.com/${account}/${name}` },
      };
    }
    case 'AWS::ApiGateway::RestApi':
      return { ref: 'a1b2c3d4e5', attributes: { RootResourceId: 'r00t1d' } };
    default:
      return { ref: `${stackName}-${id}`, attributes: { Arn: `arn:aws:cloudformation:${region}:${account}:${type}/${id}` } };
  }
}

/**
 * Physical values for every resource. Names that are themselves intrinsics (a rule on
 * `Ref: EventBus`, a role name with the region) are resolved once what they refer to is known.
 */
export function deployContext(stack: PackagedStack, stackName: string, account = DEPLOY_ACCOUNT, region = DEPLOY_REGION): IntrinsicContext {
  const ctx: IntrinsicContext = { accountId: account, region, resources: {} };
  let pending = Object.entries(stack.template.Resources);
  while (pending.length) {
    const next: typeof pending = [];
    for (const [id, r] of pending) {
      try {
        const names = Object.fromEntries(
          ['TableName', 'Name', 'EventBusName', 'TopicName', 'FunctionName', 'StateMachineName', 'RoleName', 'Path', 'LogGroupName', 'QueueName']
            .filter((k) => r.Properties?.[k] !== undefined)
            .map((k) => [k, resolveIntrinsics(r.Properties[k], ctx)]),
        );
        ctx.resources[id] = valuesOf(id, r.Type, names, stackName, region, account);
      } catch (err) {
        if (!(err instanceof UnresolvableIntrinsic)) throw err;
        next.push([id, r]);
      }
    }
    if (next.length === pending.length) throw new Error(`Cannot name ${next.map(([id]) => id).join(', ')}: circular or unknown references`);
    pending = next;
  }
  return ctx;
}

/** Resolves a value of the template (a property, a statement) as CloudFormation would on deploy. */
export function resolved<T = unknown>(value: unknown, ctx: IntrinsicContext): T {
  return resolveIntrinsics(value, ctx) as T;
}
