/** Buses, permissions, rules and targets through the real SDK v3 client against the edge. */
import {
  CreateEventBusCommand,
  DeleteEventBusCommand,
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  ListArchivesCommand,
  ListEventBusesCommand,
  ListRuleNamesByTargetCommand,
  ListRulesCommand,
  ListTagsForResourceCommand,
  ListTargetsByRuleCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemovePermissionCommand,
  RemoveTargetsCommand,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, SOURCE, STRANGER, TARGET_AUTO, errorOf, startHarness } from './harness.js';

let h: Harness;

beforeEach(async () => {
  h = await startHarness();
});

afterEach(async () => {
  await h.close();
});

const BUS = 'certificate-transfer';
const busArnOf = (account: string, name = BUS) => `arn:aws:events:us-east-1:${account}:event-bus/${name}`;

describe('event buses', () => {
  it('every account has a default bus', async () => {
    const out = await h.client(STRANGER).send(new DescribeEventBusCommand({}));
    expect(out.Name).toBe('default');
    expect(out.Arn).toBe(busArnOf(STRANGER, 'default'));
    expect(out.CreationTime).toBeInstanceOf(Date);
  });

  it('creates, describes, lists and deletes a custom bus', async () => {
    const eb = h.client(SOURCE);
    const created = await eb.send(new CreateEventBusCommand({ Name: BUS, Description: 'transfer events', Tags: [{ Key: 'app', Value: 'cert-transfer' }] }));
    expect(created.EventBusArn).toBe(busArnOf(SOURCE));

    const described = await eb.send(new DescribeEventBusCommand({ Name: BUS }));
    expect(described).toMatchObject({ Name: BUS, Arn: busArnOf(SOURCE), Description: 'transfer events' });
    const tags = await eb.send(new ListTagsForResourceCommand({ ResourceARN: busArnOf(SOURCE) }));
    expect(tags.Tags).toEqual([{ Key: 'app', Value: 'cert-transfer' }]);

    const listed = await eb.send(new ListEventBusesCommand({}));
    expect(listed.EventBuses?.map((b) => b.Name)).toEqual([BUS, 'default']);
    const prefixed = await eb.send(new ListEventBusesCommand({ NamePrefix: 'cert' }));
    expect(prefixed.EventBuses?.map((b) => b.Name)).toEqual([BUS]);

    await eb.send(new DeleteEventBusCommand({ Name: BUS }));
    const gone = await errorOf(() => eb.send(new DescribeEventBusCommand({ Name: BUS })));
    expect(gone.name).toBe('ResourceNotFoundException');
    expect(gone.$metadata?.httpStatusCode).toBe(400);
    expect(gone.message).toBe(`Event bus ${BUS} does not exist.`);
  });

  it('buses are per account: another account does not see them', async () => {
    await h.client(SOURCE).send(new CreateEventBusCommand({ Name: BUS }));
    const err = await errorOf(() => h.client(TARGET_AUTO).send(new DescribeEventBusCommand({ Name: BUS })));
    expect(err.name).toBe('ResourceNotFoundException');
  });

  it('refuses a duplicate bus, deleting default, and deleting a bus that has rules', async () => {
    const eb = h.client(SOURCE);
    await eb.send(new CreateEventBusCommand({ Name: BUS }));
    const dup = await errorOf(() => eb.send(new CreateEventBusCommand({ Name: BUS })));
    expect(dup.name).toBe('ResourceAlreadyExistsException');
    expect(dup.$metadata?.httpStatusCode).toBe(400);

    const def = await errorOf(() => eb.send(new DeleteEventBusCommand({ Name: 'default' })));
    expect(def.name).toBe('ValidationException');

    await eb.send(new PutRuleCommand({ Name: 'offers', EventBusName: BUS, EventPattern: JSON.stringify({ source: ['iot.certificate-transfer'] }) }));
    const withRules = await errorOf(() => eb.send(new DeleteEventBusCommand({ Name: BUS })));
    expect(withRules.name).toBe('ValidationException');
    expect(withRules.message).toBe("EventBus can't be deleted since it has rules.");
  });

  it('deleting a bus that does not exist succeeds, as in AWS', async () => {
    const out = await h.client(SOURCE).send(new DeleteEventBusCommand({ Name: 'never-created' }));
    expect(out.$metadata.httpStatusCode).toBe(200);
  });
});

describe('bus permissions', () => {
  it('PutPermission adds an account statement that DescribeEventBus shows; RemovePermission removes it', async () => {
    const eb = h.client(SOURCE);
    await eb.send(new CreateEventBusCommand({ Name: BUS }));
    await eb.send(new PutPermissionCommand({ EventBusName: BUS, Action: 'events:PutEvents', Principal: TARGET_AUTO, StatementId: 'allow-222' }));

    const policy = JSON.parse((await eb.send(new DescribeEventBusCommand({ Name: BUS }))).Policy ?? 'null') as { Statement: unknown[] };
    expect(policy.Statement).toEqual([{ Sid: 'allow-222', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${TARGET_AUTO}:root` }, Action: 'events:PutEvents', Resource: busArnOf(SOURCE) }]);

    await eb.send(new RemovePermissionCommand({ EventBusName: BUS, StatementId: 'allow-222' }));
    expect((await eb.send(new DescribeEventBusCommand({ Name: BUS }))).Policy).toBeUndefined();

    const missing = await errorOf(() => eb.send(new RemovePermissionCommand({ EventBusName: BUS, StatementId: 'allow-222' })));
    expect(missing.name).toBe('ResourceNotFoundException');
  });

  it('PutPermission validates principal and action', async () => {
    const eb = h.client(SOURCE);
    const badPrincipal = await errorOf(() => eb.send(new PutPermissionCommand({ Action: 'events:PutEvents', Principal: 'not-an-account', StatementId: 's1' })));
    expect(badPrincipal.name).toBe('ValidationException');
    const badAction = await errorOf(() => eb.send(new PutPermissionCommand({ Action: 'events:PutRule', Principal: TARGET_AUTO, StatementId: 's1' })));
    expect(badAction.name).toBe('ValidationException');
  });

  it('setBusPolicy stores an IAM policy document; malformed policies are refused', async () => {
    await h.client(SOURCE).send(new CreateEventBusCommand({ Name: BUS }));
    const doc = {
      Version: '2012-10-17',
      Statement: [{ Sid: 'peers', Effect: 'Allow' as const, Principal: { AWS: [`arn:aws:iam::${TARGET_AUTO}:root`, '333333333333'] }, Action: 'events:PutEvents', Resource: busArnOf(SOURCE) }],
    };
    h.model.setBusPolicy(SOURCE, BUS, JSON.stringify(doc));
    const described = await h.client(SOURCE).send(new DescribeEventBusCommand({ Name: BUS }));
    expect(JSON.parse(described.Policy!)).toEqual(doc);
    expect(() => h.model.setBusPolicy(SOURCE, BUS, '{not json')).toThrow(/not valid JSON/);
    expect(() => h.model.setBusPolicy(SOURCE, BUS, { Statement: [] })).toThrow(/at least one Statement/);
    expect(() => h.model.setBusPolicy(SOURCE, 'missing-bus', doc)).toThrow(/does not exist/);
  });
});

describe('rules', () => {
  const pattern = JSON.stringify({ source: ['iot.certificate-transfer'], 'detail-type': ['Certificate Transfer Accepted', 'Certificate Transfer Rejected'] });

  it('puts, describes, lists, disables, enables and deletes a rule on a custom bus', async () => {
    const eb = h.client(SOURCE);
    await eb.send(new CreateEventBusCommand({ Name: BUS }));
    const put = await eb.send(new PutRuleCommand({ Name: 'decisions', EventBusName: BUS, EventPattern: pattern, Description: 'target decisions' }));
    expect(put.RuleArn).toBe(`arn:aws:events:us-east-1:${SOURCE}:rule/${BUS}/decisions`);

    const described = await eb.send(new DescribeRuleCommand({ Name: 'decisions', EventBusName: BUS }));
    expect(described).toMatchObject({ Name: 'decisions', Arn: put.RuleArn, EventPattern: pattern, State: 'ENABLED', EventBusName: BUS, Description: 'target decisions', CreatedBy: SOURCE });

    await eb.send(new DisableRuleCommand({ Name: 'decisions', EventBusName: BUS }));
    expect((await eb.send(new DescribeRuleCommand({ Name: 'decisions', EventBusName: BUS }))).State).toBe('DISABLED');
    await eb.send(new EnableRuleCommand({ Name: 'decisions', EventBusName: busArnOf(SOURCE) }));
    expect((await eb.send(new DescribeRuleCommand({ Name: 'decisions', EventBusName: BUS }))).State).toBe('ENABLED');

    const onBus = await eb.send(new ListRulesCommand({ EventBusName: BUS }));
    expect(onBus.Rules?.map((r) => r.Name)).toEqual(['decisions']);
    const onDefault = await eb.send(new ListRulesCommand({}));
    expect(onDefault.Rules).toEqual([]);

    await eb.send(new DeleteRuleCommand({ Name: 'decisions', EventBusName: BUS }));
    const gone = await errorOf(() => eb.send(new DescribeRuleCommand({ Name: 'decisions', EventBusName: BUS })));
    expect(gone.name).toBe('ResourceNotFoundException');
    expect(gone.message).toBe(`Rule decisions does not exist on EventBus ${BUS}.`);
  });

  it('ListRules pages with Limit and NextToken', async () => {
    const eb = h.client(SOURCE);
    for (const name of ['r1', 'r2', 'r3']) await eb.send(new PutRuleCommand({ Name: name, EventPattern: pattern }));
    const first = await eb.send(new ListRulesCommand({ Limit: 2 }));
    expect(first.Rules?.map((r) => r.Name)).toEqual(['r1', 'r2']);
    expect(first.NextToken).toBeTruthy();
    const second = await eb.send(new ListRulesCommand({ Limit: 2, NextToken: first.NextToken }));
    expect(second.Rules?.map((r) => r.Name)).toEqual(['r3']);
    expect(second.NextToken).toBeUndefined();
  });

  it('an invalid pattern is refused with InvalidEventPatternException (400)', async () => {
    const err = await errorOf(() => h.client(SOURCE).send(new PutRuleCommand({ Name: 'bad', EventPattern: JSON.stringify({ source: 'iot.certificate-transfer' }) })));
    expect(err.name).toBe('InvalidEventPatternException');
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  it('a rule needs a pattern or a schedule; schedules only on the default bus and well formed', async () => {
    const eb = h.client(SOURCE);
    await eb.send(new CreateEventBusCommand({ Name: BUS }));
    expect((await errorOf(() => eb.send(new PutRuleCommand({ Name: 'empty' })))).name).toBe('ValidationException');
    const custom = await errorOf(() => eb.send(new PutRuleCommand({ Name: 'tick', EventBusName: BUS, ScheduleExpression: 'rate(5 minutes)' })));
    expect(custom.message).toBe('ScheduleExpression is supported only on the default event bus.');
    for (const bad of ['rate(1 minutes)', 'rate(5 minute)', 'rate(0 minutes)', 'every 5 minutes', 'cron(0 12 * * * *)']) {
      expect((await errorOf(() => eb.send(new PutRuleCommand({ Name: 'tick', ScheduleExpression: bad })))).name, bad).toBe('ValidationException');
    }
    for (const good of ['rate(1 minute)', 'rate(5 minutes)', 'rate(2 hours)', 'cron(0 12 * * ? *)', 'cron(0/5 * ? * MON-FRI *)']) {
      await expect(eb.send(new PutRuleCommand({ Name: 'tick', ScheduleExpression: good })), good).resolves.toMatchObject({ RuleArn: `arn:aws:events:us-east-1:${SOURCE}:rule/tick` });
    }
  });

  it('a rule on a missing bus is ResourceNotFoundException', async () => {
    const err = await errorOf(() => h.client(SOURCE).send(new PutRuleCommand({ Name: 'r', EventBusName: 'nope', EventPattern: pattern })));
    expect(err.name).toBe('ResourceNotFoundException');
  });

  it('TestEventPattern evaluates a pattern against an event', async () => {
    const event = {
      id: '1',
      account: SOURCE,
      source: 'iot.certificate-transfer',
      time: '2026-01-01T00:00:00Z',
      region: 'us-east-1',
      resources: [],
      'detail-type': 'Certificate Transfer Accepted',
      detail: {},
    };
    const yes = await h.client(SOURCE).send(new TestEventPatternCommand({ EventPattern: pattern, Event: JSON.stringify(event) }));
    expect(yes.Result).toBe(true);
    const no = await h.client(SOURCE).send(new TestEventPatternCommand({ EventPattern: pattern, Event: JSON.stringify({ ...event, 'detail-type': 'Certificate Transfer Offered' }) }));
    expect(no.Result).toBe(false);
    const missingFields = await errorOf(() => h.client(SOURCE).send(new TestEventPatternCommand({ EventPattern: pattern, Event: '{"source": "x"}' })));
    expect(missingFields.name).toBe('ValidationException');
  });
});

describe('targets', () => {
  const lambdaArn = `arn:aws:lambda:us-east-1:${SOURCE}:function:decision-callback`;

  beforeEach(async () => {
    await h.client(SOURCE).send(new PutRuleCommand({ Name: 'decisions', EventPattern: JSON.stringify({ source: ['iot.certificate-transfer'] }) }));
  });

  it('puts, lists, replaces and removes targets', async () => {
    const eb = h.client(SOURCE);
    const put = await eb.send(
      new PutTargetsCommand({
        Rule: 'decisions',
        Targets: [
          { Id: 'fn', Arn: lambdaArn },
          { Id: 'sfn', Arn: `arn:aws:states:us-east-1:${SOURCE}:stateMachine:transfer`, Input: '{"constant":true}' },
        ],
      }),
    );
    expect(put).toMatchObject({ FailedEntryCount: 0, FailedEntries: [] });

    await eb.send(new PutTargetsCommand({ Rule: 'decisions', Targets: [{ Id: 'fn', Arn: lambdaArn, InputPath: '$.detail' }] }));
    const listed = await eb.send(new ListTargetsByRuleCommand({ Rule: 'decisions' }));
    expect(listed.Targets).toEqual([
      { Id: 'fn', Arn: lambdaArn, InputPath: '$.detail' },
      { Id: 'sfn', Arn: `arn:aws:states:us-east-1:${SOURCE}:stateMachine:transfer`, Input: '{"constant":true}' },
    ]);
    expect((await eb.send(new ListRuleNamesByTargetCommand({ TargetArn: lambdaArn }))).RuleNames).toEqual(['decisions']);

    const hasTargets = await errorOf(() => eb.send(new DeleteRuleCommand({ Name: 'decisions' })));
    expect(hasTargets.message).toBe("Rule can't be deleted since it has targets.");

    await eb.send(new RemoveTargetsCommand({ Rule: 'decisions', Ids: ['fn', 'sfn'] }));
    expect((await eb.send(new ListTargetsByRuleCommand({ Rule: 'decisions' }))).Targets).toEqual([]);
    await expect(eb.send(new DeleteRuleCommand({ Name: 'decisions' }))).resolves.toBeDefined();
  });

  it('reports invalid targets per entry and refuses more than 5 targets per rule', async () => {
    const eb = h.client(SOURCE);
    const out = await eb.send(
      new PutTargetsCommand({
        Rule: 'decisions',
        Targets: [
          { Id: 'ok', Arn: lambdaArn },
          { Id: 'bad json', Arn: lambdaArn, Input: '{' },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(1);
    expect(out.FailedEntries?.[0]).toMatchObject({ TargetId: 'bad json', ErrorCode: 'ValidationException' });

    const six = Array.from({ length: 6 }, (_, i) => ({ Id: `t${i}`, Arn: lambdaArn }));
    const err = await errorOf(() => eb.send(new PutTargetsCommand({ Rule: 'decisions', Targets: six })));
    expect(err.name).toBe('LimitExceededException');
  });

  it('targets on a missing rule are ResourceNotFoundException', async () => {
    const err = await errorOf(() => h.client(SOURCE).send(new PutTargetsCommand({ Rule: 'nope', Targets: [{ Id: 'fn', Arn: lambdaArn }] })));
    expect(err.name).toBe('ResourceNotFoundException');
  });
});

describe('wire protocol', () => {
  it('answers an unimplemented operation with 501 NotImplementedException', async () => {
    const err = await errorOf(() => h.client(SOURCE).send(new ListArchivesCommand({})));
    expect(err.name).toBe('NotImplementedException');
    expect(err.$metadata?.httpStatusCode).toBe(501);
    expect(err.message).toMatch(/ListArchives/);
  });

  it('speaks awsJson1.1 and serializes errors with __type and message', async () => {
    const res = await fetch(h.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSEvents.DescribeEventBus',
        authorization: `AWS4-HMAC-SHA256 Credential=${SOURCE}/20260101/us-east-1/events/aws4_request, SignedHeaders=host, Signature=x`,
      },
      body: JSON.stringify({ Name: 'missing' }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(await res.json()).toEqual({ __type: 'ResourceNotFoundException', message: 'Event bus missing does not exist.' });
  });

  it('a malformed body is a SerializationException', async () => {
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.ListRules' },
      body: '{nope',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { __type: string }).__type).toBe('SerializationException');
  });
});
