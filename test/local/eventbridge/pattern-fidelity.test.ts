/**
 * Event patterns where EventBridge differs from a naive reading of the guide: what
 * TestEventPattern requires of its Event, dot-joined field names (aws/event-ruler), and the
 * limits a pattern must stay within (quota "Event pattern size", `$or` combinations,
 * wildcard complexity). Each case names the page or the AWS answer it follows.
 */
import { PutRuleCommand, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsError } from '../../../local/edge/types.js';
import { EventBridgeModel } from '../../../local/eventbridge/model.js';
import { checkPattern, compilePattern, DEFAULT_PATTERN_SIZE_QUOTA, MAX_PATTERN_LENGTH, matchesPattern, TEST_EVENT_REQUIRED_FIELDS } from '../../../local/eventbridge/pattern.js';
import { wildcardComplexity } from '../../../local/eventbridge/wildcard.js';
import { errorOf, type Harness, SOURCE, startHarness } from './harness.js';

const ctx = { account: SOURCE, region: 'us-east-1' };

/** The minimal event of LocalStack's TestEventPattern tests, recorded against AWS: no `resources`. */
const minimalEvent = { id: '1', source: 'test-source', 'detail-type': 'test-detail-type', account: '123456789012', region: 'us-east-2', time: '2022-07-13T13:48:01Z' };

function errorFrom(fn: () => unknown): AwsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AwsError) return err;
    throw err;
  }
  throw new Error('expected an AwsError');
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('TestEventPattern: the Event parameter', () => {
  const model = new EventBridgeModel();
  const test = (event: unknown, pattern: object = { source: ['test-source'] }) =>
    model.testEventPattern(ctx, { EventPattern: JSON.stringify(pattern), Event: typeof event === 'string' ? event : JSON.stringify(event) });

  it('accepts an event without resources (the API reference lists it, EventBridge does not require it)', () => {
    expect(test(minimalEvent)).toEqual({ Result: true });
    expect(test(minimalEvent, { source: ['other'] })).toEqual({ Result: false });
  });

  it.each(TEST_EVENT_REQUIRED_FIELDS)('refuses an event without %s: ValidationException "Parameter Event is not valid."', (field) => {
    const event: Record<string, unknown> = { ...minimalEvent };
    delete event[field];
    const err = errorFrom(() => test(event));
    expect([err.code, err.message, err.status]).toEqual(['ValidationException', 'Parameter Event is not valid.', 400]);
  });

  it.each([
    ['a plain string', 'plain string'],
    ['a JSON array', '["plain string"]'],
    ['an object without the metadata fields', '{"testEvent": "value"}'],
  ])('refuses %s with the same message, as AWS does', (_name, text) => {
    expect(errorFrom(() => test(text)).message).toBe('Parameter Event is not valid.');
  });

  it('answers over the wire with the SDK', async () => {
    h = await startHarness();
    const out = await h.client(SOURCE).send(new TestEventPatternCommand({ EventPattern: '{"detail-type": ["test-detail-type"]}', Event: JSON.stringify(minimalEvent) }));
    expect(out.Result).toBe(true);
    const err = await errorOf(() => h!.client(SOURCE).send(new TestEventPatternCommand({ EventPattern: '{"source": ["x"]}', Event: JSON.stringify({ ...minimalEvent, id: undefined }) })));
    expect([err.name, err.message]).toEqual(['ValidationException', 'Parameter Event is not valid.']);
  });
});

describe('dotted field names (event-ruler joins keys with ".")', () => {
  // event-ruler README, "Caveat: Compiled rules and JSON keys with dots"; EventBridge answers the same
  // (LocalStack's dot_joining_* TestEventPattern cases, recorded against AWS).
  const nestedEvent = { ...minimalEvent, detail: { state: { status: 'running' } } };
  const dottedEvent = { ...minimalEvent, detail: { 'state.status': 'running' } };
  const nestedPattern = { detail: { state: { status: ['running'] } } };
  const dottedPattern = { detail: { 'state.status': ['running'] } };

  it.each([
    ['a nested pattern matches an event with a dotted key', nestedPattern, dottedEvent, true],
    ['a dotted pattern key matches a nested event', dottedPattern, nestedEvent, true],
    ['a dotted pattern key matches a dotted event key', dottedPattern, dottedEvent, true],
    ['a fully dotted path from the top matches', { 'detail.state.status': ['running'] }, nestedEvent, true],
    ['a dotted event key holding an object is one level deeper (detail.state.status.status)', nestedPattern, { ...minimalEvent, detail: { 'state.status': { status: 'running' } } }, false],
    ['a dotted pattern key holding an object is one level deeper', { detail: { 'state.status': { status: ['running'] } } }, nestedEvent, false],
    ['values still have to match', dottedPattern, { ...minimalEvent, detail: { 'state.status': 'stopped' } }, false],
    ['a dotted path into an array of objects matches an element', { 'detail.items.sku': ['b'] }, { ...minimalEvent, detail: { items: [{ sku: 'a' }, { sku: 'b' }] } }, true],
  ])('%s', (_name, pattern, event, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it('keeps array consistency across dotted and nested spellings of the same array', () => {
    const event = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
      ],
    };
    expect(matchesPattern({ 'employees.firstName': ['Anna'], employees: { lastName: ['Smith'] } }, event)).toBe(true);
    expect(matchesPattern({ 'employees.firstName': ['Anna'], employees: { lastName: ['Doe'] } }, event)).toBe(false);
  });

  it('a path written twice (dotted and nested) keeps the last one, as a duplicate key does', () => {
    const pattern = '{"detail": {"state.status": ["running"], "state": {"status": ["stopped"]}}}';
    expect(matchesPattern(pattern, { detail: { state: { status: 'stopped' } } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { state: { status: 'running' } } })).toBe(false);
  });

  it('exists: false sees a dotted event key as the field being present', () => {
    expect(matchesPattern({ detail: { state: { status: [{ exists: false }] } } }, dottedEvent)).toBe(false);
    expect(matchesPattern({ detail: { 'state.status': [{ exists: true }] } }, nestedEvent)).toBe(true);
  });

  it('delivers through PutRule and TestEventPattern alike', () => {
    const model = new EventBridgeModel();
    expect(model.testEventPattern(ctx, { EventPattern: JSON.stringify(dottedPattern), Event: JSON.stringify(nestedEvent) })).toEqual({ Result: true });
  });
});

describe('pattern limits', () => {
  /** A valid pattern of exactly `length` characters. */
  const patternOfLength = (length: number) => {
    const head = '{"source": ["';
    const tail = '"]}';
    return head + 'x'.repeat(length - head.length - tail.length) + tail;
  };

  it('quota "Event pattern size": 2048 characters pass, 2049 are InvalidEventPatternException (PutRule and TestEventPattern)', () => {
    const model = new EventBridgeModel();
    expect(DEFAULT_PATTERN_SIZE_QUOTA).toBe(2048);
    expect(model.putRule(ctx, { Name: 'at-quota', EventPattern: patternOfLength(2048) }).RuleArn).toContain('rule/at-quota');
    for (const call of [
      () => model.putRule(ctx, { Name: 'over-quota', EventPattern: patternOfLength(2049) }),
      () => model.testEventPattern(ctx, { EventPattern: patternOfLength(2049), Event: JSON.stringify(minimalEvent) }),
    ]) {
      const err = errorFrom(call);
      expect(err.code).toBe('InvalidEventPatternException');
      expect(err.message).toMatch(/^Event pattern is not valid\. Reason: .*2049.*2048/);
    }
    expect(() => model.describeRule(ctx, { Name: 'over-quota' })).toThrow(/does not exist/);
  });

  it('counts characters, not UTF-8 bytes', () => {
    const model = new EventBridgeModel();
    const head = '{"source": ["';
    const tail = '"]}';
    const pattern = head + 'é'.repeat(2048 - head.length - tail.length) + tail;
    expect(Buffer.byteLength(pattern)).toBeGreaterThan(2048);
    expect(() => model.putRule(ctx, { Name: 'accents', EventPattern: pattern })).not.toThrow();
  });

  it('a raised quota (up to the API maximum of 4096) admits longer patterns; past 4096 is the API ValidationException', () => {
    const model = new EventBridgeModel({ eventPatternSizeQuota: 4096 });
    expect(() => model.putRule(ctx, { Name: 'raised', EventPattern: patternOfLength(4096) })).not.toThrow();
    const err = errorFrom(() => model.putRule(ctx, { Name: 'too-long', EventPattern: patternOfLength(MAX_PATTERN_LENGTH + 1) }));
    expect(err.code).toBe('ValidationException');
    expect(err.message).toMatch(/Member must have length less than or equal to 4096/);
  });

  it('answers the SDK with the error name', async () => {
    h = await startHarness();
    const err = await errorOf(() => h!.client(SOURCE).send(new PutRuleCommand({ Name: 'big', EventPattern: patternOfLength(2049) })));
    expect(err.name).toBe('InvalidEventPatternException');
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  it('$or: 1000 rule combinations pass, 1001 are refused (user guide, "Complex example with $or matching")', () => {
    const branches = (n: number) => Array.from({ length: n }, (_, i) => ({ [`f${i}`]: ['x'] }));
    expect(checkPattern({ a: { $or: branches(10) }, b: { $or: branches(10) }, c: { $or: branches(10) } })).toBeUndefined();
    expect(checkPattern({ a: { $or: branches(7) }, b: { $or: branches(11) }, c: { $or: branches(13) } })).toMatch(/1001 rule combinations/);
  });

  describe('wildcard complexity ("Rule is too complex")', () => {
    const tooComplex = 'Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character';

    it.each([
      // aws/event-ruler MachineComplexityEvaluatorTest: the worst input matches this many pattern prefixes.
      [['a*b*bb'], 5],
      [['*ab*ad'], 4],
      [['*abc', '*abcde'], 4],
      [['a*aaa', 'aa*aa'], 7],
      [['ab*cd', 'ab*wx', 'ab*yz'], 6],
      [['*a*a*a*a*a*a*a*a*'], 17],
      [['ab*c', 'ab*c'], 2],
      [['abc'], 1],
    ])('complexity of %j is %i (event-ruler)', (patterns, expected) => {
      expect(wildcardComplexity(patterns, 100)).toBe(expected);
    });

    it.each([
      // The content-filtering guide's wildcard examples, with EventBridge's answers (LocalStack, recorded against AWS).
      ['*:*:*:*:*:event-bus/*', false],
      ['arn:aws:events:us-east-1:*:event-bus/*', true],
      ['/Users/*/dir/dir/dir/dir/dir/doc.txt', true],
      // At and past the local threshold of 10.
      ['*a*a*a*a*a', true],
      ['*a*a*a*a*a*', false],
    ])('wildcard %s is accepted: %s', (wildcard, accepted) => {
      expect(checkPattern({ EventBusArn: [{ wildcard }] })).toBe(accepted ? undefined : tooComplex);
    });

    it('adds up the wildcards of one field, in value lists, $or branches and anything-but', () => {
      const five = ['ab*cd', 'ab*wx', 'ab*yz', 'ab*qq', 'ab*rr'].map((wildcard) => ({ wildcard }));
      expect(checkPattern({ f: five })).toBeUndefined();
      expect(checkPattern({ f: [...five, { wildcard: 'ab*ss' }] })).toBe(tooComplex);
      expect(checkPattern({ $or: [{ f: five }, { f: [{ wildcard: 'ab*ss' }] }] })).toBe(tooComplex);
      expect(checkPattern({ f: [...five, { 'anything-but': { wildcard: 'ab*ss' } }] })).toBe(tooComplex);
      // Different fields are different machines.
      expect(checkPattern({ f: five, g: [{ wildcard: 'ab*ss' }] })).toBeUndefined();
    });
  });
});

describe('validation messages are EventBridge’s (LocalStack’s *_EXC cases, recorded against AWS)', () => {
  it.each([
    [{ detail: { state: [{ 'anything-but': null }] } }, 'Value of anything-but must be an array or single string/number value.'],
    [{ detail: { state: [{ 'anything-but': ['stopped', null] }] } }, 'Inside anything but list, start|null|boolean is not supported.'],
    [{ detail: { state: [{ 'anything-but': { 'equals-ignore-case': 123 } }] } }, 'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.'],
    [{ detail: { state: [{ 'anything-but': { prefix: 123 } }] } }, 'prefix/suffix match pattern must be a string'],
    [{ detail: { f: [{ 'anything-but': { prefix: { 'equals-ignore-case': 'file' } } }] } }, 'Value of anything-but must be an array or single string/number value.'],
    [{ detail: { ip: [{ cidr: 'bad-filter' }] } }, "Malformed CIDR, one '/' required"],
    [{ detail: { ip: [{ cidr: 'xx.11.xx/8' }] } }, 'Nonstandard IP address: xx.11.xx'],
    [{ detail: { ip: [{ cidr: 'bad-/64filter' }] } }, 'Malformed CIDR, mask bits must be an integer'],
    [{ detail: { ip: [{ cidr: 123 }] } }, 'prefix match pattern must be a string'],
    [{ detail: { c: [{ numeric: ['>', 0, '>', 0] }] } }, 'Bad numeric range operator: >'],
    [{ resources: [] }, 'Empty arrays are not allowed'],
    [{ arn: [{ wildcard: 'arn:aws:events:us-east-1:**:event-bus/*' }] }, 'Consecutive wildcard characters at pos 26'],
  ])('%j → %s', (pattern, reason) => {
    expect(checkPattern(pattern)).toBe(`Event pattern is not valid. Reason: ${reason}`);
  });

  it('refuses /32 IPv4 blocks like event-ruler ("IPv4 mask bits must be < 32")', () => {
    expect(checkPattern({ ip: [{ cidr: '10.0.0.1/32' }] })).toBe('Event pattern is not valid. Reason: IPv4 mask bits must be < 32');
    expect(compilePattern({ ip: [{ cidr: '10.0.0.1/31' }] }).matches({ ip: '10.0.0.0' })).toBe(true);
  });
});
