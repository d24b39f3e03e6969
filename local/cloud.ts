import './polyfills.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startEdge } from './edge/server.js';
import { AwsError } from './edge/types.js';
import { IotModel, type IotModelOptions } from './iot/model.js';
import { createIotProvider } from './iot/protocol.js';
import { StepFunctionsModel, TaskFailure, type TaskCall } from './stepfunctions/model.js';
import { createStepFunctionsProvider } from './stepfunctions/protocol.js';
import { publishExecutionStatusEvents } from './stepfunctions/status-events.js';
import { EventBridgeModel, type EventBridgeModelOptions } from './eventbridge/model.js';
import { createEventBridgeProvider } from './eventbridge/protocol.js';
import { SnsModel, createSnsProvider } from './sns/service.js';
import { createDynamoProvider } from './dynamodb/provider.js';
import { createTableInput, ensureTable, startDynamo, type DynamoServer } from './dynamodb/server.js';
import { LambdaRuntime, functionArn, type InvocationRecord, type LocalFunctionConfig, type RuntimeOptions } from './lambda/runtime.js';
import { LocalApiGateway, type Route } from './apigateway/server.js';
import { loadServerlessStack, type ServerlessStack } from './serverless/stack.js';
import { resolveIntrinsics, type IntrinsicContext, type ResourceValues } from './cloudformation/intrinsics.js';
import { DEMO_ACCOUNTS } from '../src/demo-accounts.js';
import type { DeployedStack } from './deployed-stack.js';
import type { ConsoleDeps } from './console/data.js';
import { createConsole } from './console/server.js';
import { IamAuthorizer, type Denial } from './iam/authorizer.js';
import { edgeAuthorizer, mayListBucket } from './iam/edge.js';
import { rolesOfStack } from './iam/stack-roles.js';
import { LambdaPolicies, eventBridgeRuleName, permissionsOfStack, scheduleRuleName } from './iam/lambda-permissions.js';
import { invokeAsync } from './lambda/async-invoke.js';
import { LocalQueues } from './sqs/queues.js';
import { S3Model, createS3Provider } from './s3/service.js';
import type { S3Snapshot } from './s3/model.js';
import { bucketNameProblem, generatedBucketName } from './s3/bucket-names.js';

/**
 * The whole system on one machine: the AWS endpoint (IoT, Step Functions,
 * EventBridge, DynamoDB, SNS, S3) on one port, the transfer API on another, and
 * both stacks deployed into their accounts from their own serverless configs.
 */

export interface TargetInstall {
  account: string;
  params: Record<string, string>;
}

export interface LocalCloudOptions {
  awsPort?: number;
  apiPort?: number;
  host?: string;
  region?: string;
  stage?: string;
  /** Persist state here (DynamoDB via LevelDB, other services as JSON snapshots). */
  dataDir?: string;
  sourceAccount?: string;
  /** The source stack's config (default `<root>/serverless.yml`); tests load altered copies placed beside it. */
  sourceStackFile?: string;
  /** `${param:…}` overrides for the source stack, e.g. `minTimeoutSeconds: '5'` for quick expiries (default: the stack's 60). */
  sourceParams?: Record<string, string>;
  /** Target kits to install; defaults to 222… auto-accept and 333… notify-only. */
  targets?: TargetInstall[];
  /** How often scheduled rules (the reconciler) fire locally. */
  scheduleIntervalMs?: number;
  iot?: IotModelOptions;
  eventBridge?: Pick<EventBridgeModelOptions, 'faults' | 'retry'>;
  /** Step Functions retry pause (ms) for every retrier: keeps tests and chaos runs short. */
  retryIntervalMs?: number;
  /** Indented, human-friendly function logs (npm start) instead of one JSON object a line. */
  prettyLogs?: boolean;
  /** Log level of the functions (Powertools). */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  onInvocation?: (r: InvocationRecord) => void;
  /** Every DynamoDB request (operation name), for cost estimates. */
  onDynamoRequest?: (operation: string) => void;
  /** Function log lines; default: printed with the function's name. */
  onLog?: (functionArn: string, line: string) => void;
  intercept?: ConstructorParameters<typeof LambdaRuntime>[0]['intercept'];
  /** Lambda limits: concurrent executions per account (default 1000), local instances per function (default 4). */
  lambda?: Pick<RuntimeOptions, 'accountConcurrency' | 'maxInstancesPerFunction'>;
  /**
   * Tests only: function timeouts in seconds by function key (`detachThings: 1`), overriding the
   * stack's `timeout`, to make a step run past its timeout without waiting the deployed 30 s.
   */
  functionTimeouts?: Record<string, number>;
  /**
   * Authorize every call a function or state machine makes against its own role from the
   * stack, and every service-to-function invocation against the function's resource policy
   * (default true; `npm start -- --no-iam` turns it off).
   */
  iam?: boolean;
  /** Pause before Lambda's n-th retry of a failed event invocation: n × this (default 1000 ms; AWS about 1 then 2 minutes). */
  asyncRetryDelayMs?: number;
  /** Every IAM or resource-policy denial (default: one line on stderr). */
  onDenied?: (d: Denial) => void;
  /** Where function bundles go. */
  buildDir?: string;
  root?: string;
}

/** The whole local cloud: what its console reads (ConsoleDeps: endpoint, models, stacks) and the rest. */
export interface LocalCloud extends ConsoleDeps {
  apiUrl: string;
  /** The stacks' SQS queues (dead letters of EventBridge targets and of failed event invocations). */
  queues: LocalQueues;
  /** S3: the stacks' buckets and whatever operators and functions put in them. */
  s3: S3Model;
  runtime: LambdaRuntime;
  api: LocalApiGateway;
  /** The roles of both stacks and the decisions made on them. */
  iam: IamAuthorizer;
  /** The functions' resource policies. */
  lambdaPolicies: LambdaPolicies;
  stacks: DeployedStack[];
  /** Resolves once every function instance has loaded (no cold start left). */
  warmed: Promise<void>;
  /** The certificate-transfer state machine's ARN. */
  transferStateMachineArn: string;
  /** The transfer-batch state machine's ARN. */
  batchStateMachineArn: string;
  save(): void;
  stop(): Promise<void>;
}

export function defaultTargets(): TargetInstall[] {
  return [
    { account: DEMO_ACCOUNTS.autoAccept, params: { acceptancePolicy: 'auto-accept', setAsActive: 'true', allowedSourceAccounts: DEMO_ACCOUNTS.source } },
    { account: DEMO_ACCOUNTS.human, params: { acceptancePolicy: 'notify-only', allowedSourceAccounts: DEMO_ACCOUNTS.source } },
  ];
}

/** The REST API id the local API Gateway answers as (its execute-api ARNs name it). */
const LOCAL_REST_API_ID = 'local';

function physicalValues(stack: ServerlessStack, account: string, region: string): Record<string, ResourceValues> {
  const values: Record<string, ResourceValues> = {};
  const prefix = `${stack.service}-${stack.stage}`;
  for (const [id, r] of Object.entries(stack.resources)) {
    const props = r.Properties ?? {};
    switch (r.Type) {
      case 'AWS::DynamoDB::Table': {
        const name = String(props.TableName ?? `${prefix}-${id}`);
        values[id] = { ref: name, attributes: { Arn: `arn:aws:dynamodb:${region}:${account}:table/${name}` } };
        break;
      }
      case 'AWS::Events::EventBus': {
        const name = String(props.Name);
        values[id] = { ref: name, attributes: { Arn: `arn:aws:events:${region}:${account}:event-bus/${name}`, Name: name } };
        break;
      }
      case 'AWS::SQS::Queue': {
        const name = String(props.QueueName ?? `${prefix}-${id}`);
        const url = `http://sqs.${region}.localhost.localstack.cloud:4566/${account}/${name}`;
        values[id] = { ref: url, attributes: { Arn: `arn:aws:sqs:${region}:${account}:${name}`, QueueName: name, QueueUrl: url } };
        break;
      }
      case 'AWS::S3::Bucket': {
        // BucketName may use pseudo parameters (`${AWS::AccountId}`), never another resource.
        const given = props.BucketName === undefined ? undefined : String(resolveIntrinsics(props.BucketName, { accountId: account, region, resources: {} }));
        const name = given ?? generatedBucketName(prefix, id, account, region);
        const problem = bucketNameProblem(name);
        if (problem) throw new Error(`${id}: bucket name ${name} is not valid: a bucket name ${problem}`);
        values[id] = {
          ref: name,
          attributes: {
            Arn: `arn:aws:s3:::${name}`,
            DomainName: `${name}.s3.amazonaws.com`,
            RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
            DualStackDomainName: `${name}.s3.dualstack.${region}.amazonaws.com`,
            WebsiteURL: `http://${name}.s3-website-${region}.amazonaws.com`,
          },
        };
        break;
      }
      case 'AWS::SNS::Topic': {
        const name = String(props.TopicName ?? `${prefix}-${id}`);
        const arn = `arn:aws:sns:${region}:${account}:${name}`;
        values[id] = { ref: arn, attributes: { TopicName: name, TopicArn: arn } };
        break;
      }
      default:
        values[id] = { ref: id, attributes: { Arn: `arn:aws:local:${region}:${account}:${id}` } };
    }
  }
  // The REST API serverless compiles from the http events (its logical id is fixed).
  if (stack.functions.some((fn) => fn.http.length > 0)) values.ApiGatewayRestApi = { ref: LOCAL_REST_API_ID, attributes: { RootResourceId: 'root' } };
  for (const fn of stack.functions) {
    const arn = functionArn(account, region, fn.name);
    values[fn.logicalId] = { ref: fn.name, attributes: { Arn: arn } };
    values[fn.key] = { ref: fn.name, attributes: { Arn: arn } };
  }
  for (const sm of stack.stateMachines) {
    const arn = `arn:aws:states:${region}:${account}:stateMachine:${sm.name}`;
    values[sm.logicalId] = { ref: arn, attributes: { Name: sm.name, Arn: arn } };
  }
  return values;
}

const stringify = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

export async function startLocalCloud(opts: LocalCloudOptions = {}): Promise<LocalCloud> {
  const root = resolve(opts.root ?? process.cwd());
  const region = opts.region ?? 'us-east-1';
  const stage = opts.stage ?? 'local';
  const host = opts.host ?? '127.0.0.1';
  const sourceAccount = opts.sourceAccount ?? DEMO_ACCOUNTS.source;
  const targets = opts.targets ?? defaultTargets();
  const dataDir = opts.dataDir ? resolve(opts.dataDir) : undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const snapshotFile = (name: string) => (dataDir ? join(dataDir, `${name}.json`) : undefined);
  const readSnapshot = (name: string): unknown => {
    const f = snapshotFile(name);
    return f && existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined;
  };

  let dynamo: DynamoServer | undefined;
  let edgeClose: (() => Promise<void>) | undefined;
  let runtime: LambdaRuntime | undefined;
  let api: LocalApiGateway | undefined;

  try {
    dynamo = await startDynamo({ path: dataDir ? join(dataDir, 'dynamodb') : undefined, thread: true });

    const iot = new IotModel(opts.iot ?? {});
    const iotSnap = readSnapshot('iot');
    if (iotSnap) iot.restore(iotSnap as never);

    const sns = new SnsModel();
    const s3 = new S3Model();
    const s3Snap = readSnapshot('s3');
    if (s3Snap) s3.restore(s3Snap as S3Snapshot);
    const queues = new LocalQueues();
    /** Function ARN → the on-failure destination of its event invocations (serverless `destinations.onFailure`) and its role. */
    const asyncFailureDestinations = new Map<string, { queueArn: string; roleArn?: string }>();

    const logDenial = (d: Denial) => console.error(`[iam] denied ${d.principal} ${d.action} on ${d.resource}: ${d.message}`);
    const iam = new IamAuthorizer({ enabled: opts.iam ?? true, onDenied: opts.onDenied });
    const lambdaPolicies = new LambdaPolicies(opts.iam ?? true);
    /** Function ARN → its MaximumRetryAttempts for event invocations (serverless `maximumRetryAttempts`). */
    const asyncRetries = new Map<string, number>();
    /** State machine ARN → its role's ARN. */
    const stateMachineRoles = new Map<string, string>();

    /**
     * Lambda's on-failure destination for an event invocation that failed for good: the record
     * AWS sends (request, error, condition), sent as the function's role, which IAM must allow.
     */
    const sendOnFailure = async (fnArn: string, destination: { queueArn: string; roleArn?: string }, input: unknown, err: Error, attempts: number) => {
      const [, , , fnRegion, account, , name] = fnArn.split(':');
      const roleArn = destination.roleArn ?? `arn:aws:iam::${account}:role/${name}`;
      const decision = await iam.authorize({ kind: 'role', account, roleArn, sessionName: name }, 'sqs:SendMessage', [destination.queueArn]);
      const record = {
        version: '1.0',
        timestamp: new Date().toISOString(),
        requestContext: { requestId: crypto.randomUUID(), functionArn: `${fnArn}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: attempts },
        requestPayload: input,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: { errorType: err.name, errorMessage: err.message },
      };
      try {
        if (!decision.allowed) throw new Error(decision.message);
        queues.send(destination.queueArn, { body: JSON.stringify(record), attributes: {} }, { roleArn });
      } catch (e) {
        console.error(`[lambda] ${name} (${fnRegion}): the on-failure destination ${destination.queueArn} refused the failed event: ${(e as Error).message}`);
      }
    };

    // Filled in once the runtime exists; EventBridge and Step Functions call into it.
    const invokeFunction = (arn: string, event: unknown) => runtime!.invoke(arn, event);

    // eslint-disable-next-line prefer-const
    let sfn: StepFunctionsModel;
    const events = new EventBridgeModel({
      scheduleIntervalMs: opts.scheduleIntervalMs ?? 5_000,
      ...opts.eventBridge,
      // EventBridge sends a dead letter as the service: the queue's policy must admit the rule.
      sendToDeadLetterQueue: (m) => queues.send(m.queueArn, { body: m.body, attributes: { ...m.attributes } }, { service: 'events.amazonaws.com', sourceArn: m.attributes.RULE_ARN }),
      invokeTarget: async (target, _event, rule, ctx) => {
        if (target.Arn.startsWith('arn:aws:lambda:')) {
          // EventBridge invokes as the service principal: the function's resource policy decides.
          const refused = lambdaPolicies.check(target.Arn.split(':').slice(0, 7).join(':'), { principal: 'events.amazonaws.com', sourceArn: rule.arn, sourceAccount: rule.account });
          if (refused) {
            (opts.onDenied ?? logDenial)({ principal: 'events.amazonaws.com', action: 'lambda:InvokeFunction', resource: target.Arn, message: `${refused} (rule ${rule.arn})` });
            throw Object.assign(new Error(refused), { name: 'AccessDeniedException', retryable: false });
          }
          // An event invocation: Lambda accepts it and retries a function error itself, so EventBridge counts it delivered.
          await invokeAsync(() => invokeFunction(target.Arn, ctx.input), {
            maximumRetryAttempts: asyncRetries.get(target.Arn) ?? 2,
            // A throttled event (the reconciler's reserved concurrency of 1) is dropped here; AWS queues it for
            // up to 6 h. Locally the next schedule tick takes its place, and deliveries never pile up.
            maxThrottleRetries: 0,
            retryDelayMs: (n) => (opts.asyncRetryDelayMs ?? 1_000) * n,
            onDiscarded: (err, attempts) => {
              const destination = asyncFailureDestinations.get(target.Arn);
              if (!destination) return console.error(`[lambda] ${target.Arn.split(':').pop()}: event from ${rule.arn} discarded after ${attempts} attempt(s): ${err.name}: ${err.message}`);
              void sendOnFailure(target.Arn, destination, ctx.input, err, attempts);
            },
          });
          return null;
        }
        if (target.Arn.startsWith('arn:aws:states:')) {
          return sfn.startExecution({ account: rule.account, region: rule.region }, { stateMachineArn: target.Arn, input: stringify(ctx.input) });
        }
        throw Object.assign(new Error(`Target ${target.Arn} is not supported locally`), { retryable: false });
      },
    });
    const evSnap = readSnapshot('eventbridge');
    if (evSnap) events.restore(evSnap as never);

    sfn = new StepFunctionsModel({
      // Lambda tasks only: `arn:aws:states:::states:startExecution[.sync[:2]]` (the batch
      // workflow's child executions) never gets here, the model runs them itself.
      invokeTask: async (call: TaskCall) => {
        if (call.kind === 'lambda' || call.kind === 'lambda:invoke') {
          const l = call.lambda!;
          const arn = functionArn(l.account, l.region, l.name);
          // The execution acts as the state machine's role.
          const roleArn = stateMachineRoles.get(call.stateMachineArn);
          if (roleArn) {
            const principal = { kind: 'role' as const, account: call.account, roleArn, sessionName: call.executionArn.split(':').pop()!.slice(0, 64) };
            const decision = await iam.authorize(principal, 'lambda:InvokeFunction', [l.qualifier ? `${arn}:${l.qualifier}` : arn]);
            if (!decision.allowed) {
              throw new TaskFailure(
                'Lambda.AWSLambdaException',
                `${decision.message} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: ${crypto.randomUUID()}; Proxy: null)`,
              );
            }
          }
          return invokeFunction(arn, call.payload ?? call.parameters);
        }
        throw new Error(`Task resource ${call.resource} is not supported by the local cloud`);
      },
      // Child executions start as the parent's state machine role.
      authorizeServiceCall: async (call) => {
        const roleArn = stateMachineRoles.get(call.stateMachineArn);
        if (!roleArn) return;
        const principal = { kind: 'role' as const, account: call.account, roleArn, sessionName: call.executionArn.split(':').pop()!.slice(0, 64) };
        const decision = await iam.authorize(principal, call.action, call.resources);
        if (!decision.allowed) throw new AwsError('AccessDeniedException', decision.message!, 400);
      },
      // Every retrier of every state waits this long instead of its backoff, when set.
      retryIntervalOverrides: opts.retryIntervalMs === undefined ? undefined : (new Proxy({}, { get: () => opts.retryIntervalMs, has: () => true }) as Record<string, number>),
    });
    const sfnSnap = readSnapshot('stepfunctions');
    if (sfnSnap) sfn.restore(sfnSnap as never);
    // Every Standard execution's start and end, as aws.states events on its account's default bus.
    const stopStatusEvents = publishExecutionStatusEvents(sfn, (ctx, entry) => events.putServiceEvent(ctx, entry));

    const edge = await startEdge(
      [
        createIotProvider(iot),
        createStepFunctionsProvider(sfn),
        createEventBridgeProvider(events),
        createSnsProvider(sns),
        createS3Provider(s3, { mayList: mayListBucket(iam) }),
        createDynamoProvider(dynamo, opts.onDynamoRequest),
      ],
      opts.awsPort ?? 4566,
      host,
      edgeAuthorizer(iam),
    );
    edgeClose = edge.close;

    runtime = new LambdaRuntime({
      buildDir: opts.buildDir ?? join(root, '.build', 'local'),
      endpoint: edge.url,
      environment: { POWERTOOLS_LOG_LEVEL: opts.logLevel ?? 'WARN', POWERTOOLS_DEV: opts.prettyLogs ? 'true' : 'false' },
      onInvocation: opts.onInvocation,
      onLog: opts.onLog,
      intercept: opts.intercept,
      ...opts.lambda,
    });

    const allowedTargets = targets.map((t) => t.account).join(',');
    const installs: { account: string; file: string; params: Record<string, string> }[] = [
      {
        account: sourceAccount,
        file: opts.sourceStackFile ?? join(root, 'serverless.yml'),
        params: { allowedTargetAccounts: allowedTargets, reconcilerRate: 'rate(1 minute)', reconcilerGraceSeconds: '1', ...opts.sourceParams },
      },
      ...(existsSync(join(root, 'serverless.target.yml')) ? targets.map((t) => ({ account: t.account, file: join(root, 'serverless.target.yml'), params: t.params })) : []),
    ];

    const stacks: DeployedStack[] = [];
    const functionConfigs: LocalFunctionConfig[] = [];
    const routes: Route[] = [];
    for (const install of installs) {
      const stack = loadServerlessStack(install.file, { stage, region, params: install.params });
      const resources = physicalValues(stack, install.account, region);
      const ctx: IntrinsicContext = { accountId: install.account, region, resources };
      const deployed: DeployedStack = { account: install.account, stack, functions: {}, stateMachines: {}, resources };
      const roles = rolesOfStack(stack, ctx);
      for (const role of [...Object.values(roles.functions), ...Object.values(roles.stateMachines)]) iam.putRole(role);
      for (const p of permissionsOfStack(stack, ctx, (fn) => functionArn(install.account, region, fn.name), LOCAL_REST_API_ID)) lambdaPolicies.add(p);

      for (const [id, r] of Object.entries(stack.resources)) {
        const props = resolveIntrinsics(r.Properties ?? {}, ctx) as Record<string, unknown>;
        if (r.Type === 'AWS::DynamoDB::Table') await ensureTable(dynamo.url, createTableInput(resources[id].ref, props));
        if (r.Type === 'AWS::Events::EventBus') events.ensureEventBus(install.account, String(props.Name), region);
        if (r.Type === 'AWS::SNS::Topic') sns.createTopic(install.account, region, resources[id].attributes!.TopicName);
        if (r.Type === 'AWS::SQS::Queue') queues.create(resources[id].attributes!.Arn);
        // Its hardening (encryption, public access block, ownership, lifecycle, versioning) is accepted and
        // not enforced; an AWS::S3::BucketPolicy is not read either: only the owner account may use a bucket.
        if (r.Type === 'AWS::S3::Bucket') s3.ensureBucket(install.account, region, resources[id].ref);
      }
      for (const [, r] of Object.entries(stack.resources)) {
        if (r.Type !== 'AWS::SQS::QueuePolicy') continue;
        const props = resolveIntrinsics(r.Properties ?? {}, ctx) as { Queues: string[]; PolicyDocument: { Statement: never[] } };
        for (const url of props.Queues) {
          const queue = Object.values(resources).find((v) => v.ref === url && v.attributes?.QueueUrl === url);
          if (queue) queues.setPolicy(queue.attributes!.Arn, props.PolicyDocument.Statement);
        }
      }
      for (const [, r] of Object.entries(stack.resources)) {
        if (r.Type !== 'AWS::Events::EventBusPolicy') continue;
        const props = resolveIntrinsics(r.Properties ?? {}, ctx) as { EventBusName: string; StatementId?: string; Statement: Record<string, unknown> };
        events.setBusPolicy(install.account, props.EventBusName, { Version: '2012-10-17', Statement: [{ Sid: props.StatementId, ...props.Statement }] } as never, region);
      }

      for (const fn of stack.functions) {
        const environment = Object.fromEntries(Object.entries(resolveIntrinsics(fn.environment, ctx) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
        functionConfigs.push({
          account: install.account,
          region,
          name: fn.name,
          handlerFile: fn.handlerFile,
          handlerExport: fn.handlerExport,
          timeoutSeconds: opts.functionTimeouts?.[fn.key] ?? fn.timeout,
          memorySize: fn.memorySize,
          reservedConcurrency: fn.reservedConcurrency,
          environment,
          roleArn: roles.functions[fn.key]?.arn,
        });
        const arn = functionArn(install.account, region, fn.name);
        deployed.functions[fn.key] = arn;
        const rawFn = ((stack.raw.functions ?? {}) as Record<string, { maximumRetryAttempts?: unknown; destinations?: { onFailure?: unknown } }>)[fn.key];
        const retries = rawFn?.maximumRetryAttempts;
        if (typeof retries === 'number') asyncRetries.set(arn, retries);
        const onFailure = rawFn?.destinations?.onFailure;
        if (onFailure !== undefined) {
          const queueArn = String(resolveIntrinsics(typeof onFailure === 'object' && onFailure !== null && 'arn' in onFailure ? onFailure.arn : onFailure, ctx));
          asyncFailureDestinations.set(arn, { queueArn, roleArn: roles.functions[fn.key]?.arn });
        }
        for (const h of fn.http) routes.push({ method: h.method, resource: h.path, functionArn: arn, authorizer: h.authorizer });
        fn.eventBridge.forEach((eb, i) => {
          const busName = eb.eventBus ? String(resolveIntrinsics(eb.eventBus, ctx)).split('/').pop()! : 'default';
          const rule = eventBridgeRuleName(fn, i + 1);
          const c = { account: install.account, region };
          events.putRule(c, {
            Name: rule,
            EventBusName: busName,
            ...(eb.schedule ? { ScheduleExpression: eb.schedule } : { EventPattern: JSON.stringify(resolveIntrinsics(eb.pattern, ctx)) }),
            State: 'ENABLED',
          });
          // The target's RetryPolicy and DeadLetterConfig, as serverless compiles them.
          const retryPolicy = eb.retryPolicy ? { RetryPolicy: { MaximumEventAgeInSeconds: eb.retryPolicy.maximumEventAge, MaximumRetryAttempts: eb.retryPolicy.maximumRetryAttempts } } : {};
          const deadLetter = eb.deadLetterQueueArn ? { DeadLetterConfig: { Arn: String(resolveIntrinsics(eb.deadLetterQueueArn, ctx)) } } : {};
          events.putTargets(c, { Rule: rule, EventBusName: busName, Targets: [{ Id: `${rule}-target`, Arn: arn, ...retryPolicy, ...deadLetter }] });
        });
        fn.schedules.forEach((s, i) => {
          const rule = scheduleRuleName(fn, i + 1);
          const c = { account: install.account, region };
          events.putRule(c, { Name: rule, ScheduleExpression: s.rate, State: s.enabled ? 'ENABLED' : 'DISABLED' });
          events.putTargets(c, { Rule: rule, Targets: [{ Id: `${rule}-target`, Arn: arn, ...(s.input ? { Input: stringify(s.input) } : {}) }] });
        });
      }

      for (const sm of stack.stateMachines) {
        const definition = resolveIntrinsics(sm.definition, ctx);
        const arn = resources[sm.logicalId].ref;
        deployed.stateMachines[sm.key] = arn;
        const smRole = roles.stateMachines[sm.key]?.arn ?? `arn:aws:iam::${install.account}:role/${sm.name}-role`;
        stateMachineRoles.set(arn, smRole);
        if (!sfn.getDefinition(arn)) {
          await sfn.createStateMachine(
            { account: install.account, region },
            {
              name: sm.name,
              definition: JSON.stringify(definition),
              roleArn: smRole,
              type: sm.type,
            },
          );
        } else {
          await sfn.updateStateMachine({ account: install.account, region }, { stateMachineArn: arn, definition: JSON.stringify(definition) });
        }
      }
      stacks.push(deployed);
    }
    await runtime.deploy(functionConfigs);
    // Cold starts (loading each bundle with its SDK clients) take about a second each here;
    // pay them in the background now rather than in the first transfer.
    const warmed = runtime.warmAll();

    // The web console (/console) shares the API's port; it reads the models in-process.
    const webConsole = createConsole({ awsUrl: edge.url, region, sourceAccount, iot, sfn, events, sns, stacks, apiUrl: () => api!.url, fireSchedules: () => events.fireSchedules() });
    api = new LocalApiGateway({
      port: opts.apiPort ?? 3000,
      host,
      account: sourceAccount,
      region,
      stage,
      invoke: (arn, event) => {
        // API Gateway invokes as the service principal, from `<api>/<stage>/<METHOD>/<path>`.
        const rc = event.requestContext;
        const sourceArn = `arn:aws:execute-api:${region}:${sourceAccount}:${LOCAL_REST_API_ID}/${rc.stage}/${rc.httpMethod}${rc.resourcePath}`;
        const refused = lambdaPolicies.check(arn, { principal: 'apigateway.amazonaws.com', sourceArn, sourceAccount });
        if (refused) {
          (opts.onDenied ?? logDenial)({ principal: 'apigateway.amazonaws.com', action: 'lambda:InvokeFunction', resource: arn, message: refused });
          return Promise.reject(Object.assign(new Error(refused), { name: 'AccessDeniedException' }));
        }
        return runtime!.invoke(arn, event);
      },
      secretFor: (key) => (/^\d{12}$/.test(key) ? (process.env.LOCAL_SECRET_ACCESS_KEY ?? 'x') : undefined),
      extra: webConsole.handle,
    });
    api.addRoutes(routes);
    const apiUrl = await api.start();
    events.start();

    const source = stacks[0];
    const cloud: LocalCloud = {
      awsUrl: edge.url,
      apiUrl,
      region,
      sourceAccount,
      iot,
      sfn,
      events,
      sns,
      queues,
      s3,
      runtime,
      api,
      iam,
      lambdaPolicies,
      stacks,
      warmed,
      transferStateMachineArn: source.stateMachines.certificateTransfer,
      batchStateMachineArn: source.stateMachines.transferBatch,
      save() {
        if (!dataDir) return;
        writeFileSync(snapshotFile('iot')!, JSON.stringify(iot.snapshot()));
        writeFileSync(snapshotFile('eventbridge')!, JSON.stringify(events.snapshot()));
        writeFileSync(snapshotFile('stepfunctions')!, JSON.stringify(sfn.snapshot()));
        writeFileSync(snapshotFile('s3')!, JSON.stringify(s3.snapshot()));
      },
      async stop() {
        stopStatusEvents();
        cloud.save();
        events.stop();
        await api!.stop();
        await sfn.shutdown();
        await runtime!.shutdown();
        await edge.close();
        await dynamo!.close();
      },
    };
    return cloud;
  } catch (err) {
    await api?.stop().catch(() => undefined);
    await runtime?.shutdown().catch(() => undefined);
    await edgeClose?.().catch(() => undefined);
    await dynamo?.close().catch(() => undefined);
    throw err;
  }
}
