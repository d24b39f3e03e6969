/**
 * The matcher against the EventBridge user guide: one row per example from the
 * pages "Event patterns", "Arrays in event patterns", "Matching null values
 * and empty strings", "Content filtering" and the comparison-operator table,
 * plus the array-consistency and $or examples of aws/event-ruler (the library
 * behind EventBridge) where the guide defers to it.
 */
import { describe, expect, it } from 'vitest';
import { AwsError } from '../../../local/edge/types.js';
import { checkPattern, compilePattern, matchesPattern } from '../../../local/eventbridge/pattern.js';

type Json = Record<string, unknown>;

const ec2Event: Json = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};

const autoscalingEvent: Json = {
  version: '0',
  id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
  'detail-type': 'EC2 Instance Launch Successful',
  source: 'aws.autoscaling',
  account: '123456789012',
  time: '2015-11-11T21:31:47Z',
  region: 'us-east-1',
  resources: [],
  detail: { eventVersion: '', responseElements: null },
};

const macieEvent: Json = {
  version: '0',
  id: '0948ba87-d3b8-c6d4-f2da-732a1example',
  'detail-type': 'Macie Finding',
  source: 'aws.macie',
  account: '123456789012',
  time: '2021-04-29T23:12:15Z',
  region: 'us-east-1',
  resources: [],
  detail: {
    schemaVersion: '1.0',
    type: 'Policy:IAMUser/S3BucketEncryptionDisabled',
    severity: { score: 1, description: 'Low' },
    count: 2,
  },
};

/** The sample event of the content-filtering examples (time 2017-10-02, counts, source IP). */
const rulerEvent: Json = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: { 'c-count': 5, 'd-count': 3, 'x-limit': 301.8, 'source-ip': '10.0.0.33', 'instance-id': 'i-000000aaaaaa00000', state: 'running' },
};

const withDetail = (detail: Json, base: Json = ec2Event): Json => ({ ...base, detail });
const withField = (field: string, value: unknown, base: Json = ec2Event): Json => ({ ...base, [field]: value });

interface Case {
  name: string;
  event: Json;
  /** An object, or JSON text when the example depends on the text (duplicate keys). */
  pattern: Json | string;
  match: boolean;
}

const cases: Case[] = [
  // --- Event patterns: "Create event patterns" and "Example events and event patterns"
  {
    name: 'EC2 instance-termination pattern matches the EC2 example event',
    event: ec2Event,
    pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } },
    match: true,
  },
  {
    name: 'EC2 instance-termination pattern does not match a running instance',
    event: withDetail({ 'instance-id': 'i-1', state: 'running' }),
    pattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: ['terminated'] } },
    match: false,
  },
  { name: 'match values: source aws.ec2 or aws.fargate (aws.ec2)', event: ec2Event, pattern: { source: ['aws.ec2', 'aws.fargate'] }, match: true },
  { name: 'match values: source aws.ec2 or aws.fargate (aws.fargate)', event: withField('source', 'aws.fargate'), pattern: { source: ['aws.ec2', 'aws.fargate'] }, match: true },
  { name: 'match values: source aws.ec2 or aws.fargate (aws.s3 is neither)', event: withField('source', 'aws.s3'), pattern: { source: ['aws.ec2', 'aws.fargate'] }, match: false },
  { name: 'the event must contain every field the pattern names', event: ec2Event, pattern: { detail: { 'instance-type': ['t3.micro'] } }, match: false },
  { name: 'fields must appear with the same nesting', event: ec2Event, pattern: { state: ['terminated'] }, match: false },
  { name: 'strings are matched character by character, no case folding', event: ec2Event, pattern: { source: ['AWS.EC2'] }, match: false },
  {
    name: 'field matching: Auto Scaling responseElements is null',
    event: autoscalingEvent,
    pattern: { source: ['aws.autoscaling'], 'detail-type': ['EC2 Instance Launch Successful'], detail: { responseElements: [null] } },
    match: true,
  },
  {
    name: 'value matching: Macie severity score 1 and count 2',
    event: macieEvent,
    pattern: { source: ['aws.macie'], 'detail-type': ['Macie Finding'], detail: { severity: { score: [1] }, count: [2] } },
    match: true,
  },
  {
    name: 'value matching: Macie pattern rejects count 3',
    event: withDetail({ severity: { score: 1 }, count: 3 }, macieEvent),
    pattern: { source: ['aws.macie'], 'detail-type': ['Macie Finding'], detail: { severity: { score: [1] }, count: [2] } },
    match: false,
  },

  // --- Arrays in event patterns
  {
    name: 'arrays: matches when the pattern array and the event array intersect',
    event: withField('resources', [
      'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
    ]),
    pattern: {
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f', 'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f', 'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f'],
    },
    match: true,
  },
  {
    name: 'arrays: no match when the intersection is empty',
    event: withField('resources', ['arn:aws:ec2:us-east-1:999999999999:instance/i-other']),
    pattern: { resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f', 'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f'] },
    match: false,
  },

  // --- Matching null values and empty strings
  { name: 'empty string: eventVersion is ""', event: autoscalingEvent, pattern: { detail: { eventVersion: [''] } }, match: true },
  { name: 'null: responseElements is null', event: autoscalingEvent, pattern: { detail: { responseElements: [null] } }, match: true },
  { name: 'null and empty string are not interchangeable: [null] vs ""', event: autoscalingEvent, pattern: { detail: { eventVersion: [null] } }, match: false },
  { name: 'null and empty string are not interchangeable: [""] vs null', event: autoscalingEvent, pattern: { detail: { responseElements: [''] } }, match: false },

  // --- Content filtering: prefix
  { name: 'prefix: time starts with 2017-10-02', event: rulerEvent, pattern: { time: [{ prefix: '2017-10-02' }] }, match: true },
  { name: 'prefix: time 2017-12-22 does not start with 2017-10-02', event: ec2Event, pattern: { time: [{ prefix: '2017-10-02' }] }, match: false },
  {
    name: 'prefix: Auto Scaling events from European regions',
    event: withField('region', 'eu-west-1', autoscalingEvent),
    pattern: { source: ['aws.autoscaling'], region: [{ prefix: 'eu-' }] },
    match: true,
  },
  { name: 'prefix: Auto Scaling event from us-east-1 is not European', event: autoscalingEvent, pattern: { source: ['aws.autoscaling'], region: [{ prefix: 'eu-' }] }, match: false },
  { name: 'prefix only works on strings', event: withDetail({ code: 2017 }), pattern: { detail: { code: [{ prefix: '20' }] } }, match: false },
  {
    name: 'prefix with equals-ignore-case: service starts with EventB in any case',
    event: withDetail({ service: 'EVENTBRIDGE' }),
    pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    match: true,
  },
  {
    name: 'prefix with equals-ignore-case: myeventbus does not start with EventB',
    event: withDetail({ service: 'myeventbus' }),
    pattern: { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
    match: false,
  },

  // --- suffix
  { name: 'suffix: FileName ends with .png', event: withField('FileName', 'photo.png'), pattern: { FileName: [{ suffix: '.png' }] }, match: true },
  { name: 'suffix is case sensitive: photo.PNG', event: withField('FileName', 'photo.PNG'), pattern: { FileName: [{ suffix: '.png' }] }, match: false },
  {
    name: 'suffix with equals-ignore-case: photo.PNG ends with .png',
    event: withDetail({ FileName: 'photo.PNG' }),
    pattern: { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
    match: true,
  },
  {
    name: 'ends with (ignore case): service ends with tbridge',
    event: withDetail({ service: 'EVENTBRIDGE' }),
    pattern: { detail: { service: [{ suffix: { 'equals-ignore-case': 'tbridge' } }] } },
    match: true,
  },

  // --- anything-but
  { name: 'anything-but string: state running is not initializing', event: rulerEvent, pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } }, match: true },
  { name: 'anything-but string: state initializing is excluded', event: withDetail({ state: 'initializing' }), pattern: { detail: { state: [{ 'anything-but': 'initializing' }] } }, match: false },
  { name: 'anything-but number: x-limit 301.8 is not 123', event: rulerEvent, pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, match: true },
  { name: 'anything-but number: x-limit 123 is excluded', event: withDetail({ 'x-limit': 123 }), pattern: { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, match: false },
  { name: 'anything-but list of strings: running is neither stopped nor overloaded', event: rulerEvent, pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, match: true },
  { name: 'anything-but list of strings: stopped is excluded', event: withDetail({ state: 'stopped' }), pattern: { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } }, match: false },
  { name: 'anything-but list of numbers: 301.8 is none of 100, 200, 300', event: rulerEvent, pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, match: true },
  { name: 'anything-but list of numbers: 200 is excluded', event: withDetail({ 'x-limit': 200 }), pattern: { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } }, match: false },
  { name: 'anything-but prefix: initializing starts with init', event: withDetail({ state: 'initializing' }), pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, match: false },
  { name: 'anything-but prefix: running does not start with init', event: rulerEvent, pattern: { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, match: true },
  { name: 'anything-but detail-type: every event except CloudTrail API calls', event: ec2Event, pattern: { 'detail-type': [{ 'anything-but': 'AWS API Call via CloudTrail' }] }, match: true },
  { name: 'anything-but source list: events from EC2 or S3 are excluded', event: ec2Event, pattern: { source: [{ 'anything-but': ['aws.ec2', 'aws.s3'] }] }, match: false },
  { name: 'anything-but prefix aws.: your own events pass', event: withField('source', 'iot.certificate-transfer'), pattern: { source: [{ 'anything-but': { prefix: 'aws.' } }] }, match: true },
  { name: 'anything-but prefix aws.: AWS events are excluded', event: ec2Event, pattern: { source: [{ 'anything-but': { prefix: 'aws.' } }] }, match: false },
  { name: 'anything-but (begins with): Region is not in the US', event: withDetail({ Region: 'eu-central-1' }), pattern: { detail: { Region: [{ 'anything-but': { prefix: 'us-' } }] } }, match: true },
  {
    name: 'anything-but (ends with): FileName does not end with .png',
    event: withDetail({ FileName: 'notes.txt' }),
    pattern: { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } },
    match: true,
  },
  { name: 'anything-but (ends with): photo.png is excluded', event: withDetail({ FileName: 'photo.png' }), pattern: { detail: { FileName: [{ 'anything-but': { suffix: '.png' } }] } }, match: false },
  {
    name: 'anything-but (ignore case): INITIALIZING is excluded',
    event: withDetail({ state: 'INITIALIZING' }),
    pattern: { detail: { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] } },
    match: false,
  },
  {
    name: 'anything-but using a wildcard: a path under /lib/ is excluded',
    event: withDetail({ FilePath: '/usr/lib/libssl.so' }),
    pattern: { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    match: false,
  },
  {
    name: 'anything-but using a wildcard: a path under /bin/ passes',
    event: withDetail({ FilePath: '/usr/bin/openssl' }),
    pattern: { detail: { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] } },
    match: true,
  },
  {
    name: 'anything-but prefix list: error-state starts with one of init, error',
    event: withDetail({ state: 'error-state' }),
    pattern: { detail: { state: [{ 'anything-but': { prefix: ['init', 'error'] } }] } },
    match: false,
  },
  { name: 'not: Weather is anything but Raining', event: withDetail({ Weather: 'Sunny' }), pattern: { detail: { Weather: [{ 'anything-but': ['Raining'] }] } }, match: true },

  // --- numeric
  {
    name: 'numeric: c-count in (0, 5], d-count < 10, x-limit = 3.018e2',
    event: rulerEvent,
    pattern: { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 3.018e2] }] } },
    match: true,
  },
  {
    name: 'numeric: all fields must hold (c-count 6 is out of range)',
    event: withDetail({ 'c-count': 6, 'd-count': 3, 'x-limit': 301.8 }),
    pattern: { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ numeric: ['=', 3.018e2] }] } },
    match: false,
  },
  { name: 'numeric (equals): Price is 100', event: withDetail({ Price: 100 }), pattern: { detail: { Price: [{ numeric: ['=', 100] }] } }, match: true },
  { name: 'numeric only works on JSON numbers: Price "100" is a string', event: withDetail({ Price: '100' }), pattern: { detail: { Price: [{ numeric: ['=', 100] }] } }, match: false },
  { name: 'numeric (range): Price 20 is > 10 and <= 20', event: withDetail({ Price: 20 }), pattern: { detail: { Price: [{ numeric: ['>', 10, '<=', 20] }] } }, match: true },
  { name: 'numeric (range): Price 10 is not > 10', event: withDetail({ Price: 10 }), pattern: { detail: { Price: [{ numeric: ['>', 10, '<=', 20] }] } }, match: false },

  // --- IP address
  { name: 'cidr: 10.0.0.33 is in 10.0.0.0/24', event: rulerEvent, pattern: { detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, match: true },
  { name: 'cidr: 10.0.1.1 is outside 10.0.0.0/24', event: withDetail({ sourceIPAddress: '10.0.1.1' }), pattern: { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } }, match: false },
  {
    name: 'cidr also works with IPv6 addresses',
    event: withDetail({ sourceIPAddress: '2001:db8::8a2e:370:7334' }),
    pattern: { detail: { sourceIPAddress: [{ cidr: '2001:db8::/32' }] } },
    match: true,
  },

  // --- exists
  { name: 'exists true: the EC2 event has detail.state', event: ec2Event, pattern: { detail: { state: [{ exists: true }] } }, match: true },
  { name: 'exists true: no match without detail.state', event: withDetail({ 'c-count': { c1: 100 } }), pattern: { detail: { state: [{ exists: true }] } }, match: false },
  { name: 'exists false: matches an event without detail.c-count', event: withDetail({ state: ['initializing', 'running'] }), pattern: { detail: { 'c-count': [{ exists: false }] } }, match: true },
  {
    name: 'exists false: also matches when c-count is not a leaf node',
    event: withDetail({ state: ['initializing', 'running'], 'c-count': { c1: 100 } }),
    pattern: { detail: { 'c-count': [{ exists: false }] } },
    match: true,
  },
  { name: 'exists false: no match when detail.c-count is present', event: rulerEvent, pattern: { detail: { 'c-count': [{ exists: false }] } }, match: false },
  { name: 'existence example: select events that have a description', event: withDetail({ description: 'disk full' }), pattern: { detail: { description: [{ exists: true }] } }, match: true },

  // --- equals-ignore-case
  { name: 'equals-ignore-case: detail-type regardless of case', event: ec2Event, pattern: { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] }, match: true },
  { name: 'equals (ignore case): Name is alice', event: withDetail({ Name: 'Alice' }), pattern: { detail: { Name: [{ 'equals-ignore-case': 'alice' }] } }, match: true },

  // --- wildcard
  {
    name: 'wildcard: event bus ARN in us-east-1 of any account',
    event: withDetail({ EventBusArn: 'arn:aws:events:us-east-1:111111111111:event-bus/certificate-transfer' }),
    pattern: { detail: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] } },
    match: true,
  },
  {
    name: 'wildcard: an eu-west-1 bus ARN does not match',
    event: withDetail({ EventBusArn: 'arn:aws:events:eu-west-1:111111111111:event-bus/default' }),
    pattern: { detail: { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] } },
    match: false,
  },
  { name: 'wildcard: *.png matches strings that end with .png', event: withDetail({ key: 'dir/path/to/file.png' }), pattern: { detail: { key: [{ wildcard: '*.png' }] } }, match: true },
  { name: 'wildcard: *Title* matches Title in the middle', event: withDetail({ heading: 'The Title of the Book' }), pattern: { detail: { heading: [{ wildcard: '*Title*' }] } }, match: true },
  { name: 'wildcard: an escaped \\* is a literal asterisk', event: withDetail({ note: 'a*b' }), pattern: { detail: { note: [{ wildcard: 'a\\*b' }] } }, match: true },
  { name: 'wildcard: an escaped \\* does not match other characters', event: withDetail({ note: 'axb' }), pattern: { detail: { note: [{ wildcard: 'a\\*b' }] } }, match: false },

  // --- operator table: And / Or / $or
  { name: 'and: Location is New York and Day is Monday', event: withDetail({ Location: 'New York', Day: 'Monday' }), pattern: { detail: { Location: ['New York'], Day: ['Monday'] } }, match: true },
  { name: 'and: Tuesday in New York fails', event: withDetail({ Location: 'New York', Day: 'Tuesday' }), pattern: { detail: { Location: ['New York'], Day: ['Monday'] } }, match: false },
  { name: 'or: PaymentType is Credit or Debit', event: withDetail({ PaymentType: 'Debit' }), pattern: { detail: { PaymentType: ['Credit', 'Debit'] } }, match: true },
  {
    name: 'or (multiple fields): Location is New York or Day is Monday',
    event: withDetail({ Location: 'Boston', Day: 'Monday' }),
    pattern: { detail: { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] } },
    match: true,
  },
  {
    name: '$or: c-count fails but d-count < 10 holds',
    event: withDetail({ 'c-count': 0, 'd-count': 5, 'x-limit': 1 }),
    pattern: { detail: { $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }, { 'x-limit': [{ numeric: ['=', 3.018e2] }] }] } },
    match: true,
  },
  {
    name: '$or: no branch holds',
    event: withDetail({ 'c-count': 0, 'd-count': 50, 'x-limit': 1 }),
    pattern: { detail: { $or: [{ 'c-count': [{ numeric: ['>', 0, '<=', 5] }] }, { 'd-count': [{ numeric: ['<', 10] }] }, { 'x-limit': [{ numeric: ['=', 3.018e2] }] }] } },
    match: false,
  },
  {
    name: '$or with an AND inside a branch (metricType and namespace)',
    event: { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2' },
    pattern: { source: ['aws.cloudwatch'], $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { metricType: ['MetricType'], namespace: ['AWS/EC2', 'AWS/ES'] }, { scope: ['Service'] }] },
    match: true,
  },

  // --- complex examples
  {
    name: 'complex example: prefix, anything-but and numeric together',
    event: rulerEvent,
    pattern: {
      time: [{ prefix: '2017-10-02' }],
      detail: { state: [{ 'anything-but': 'initializing' }], 'c-count': [{ numeric: ['>', 0, '<=', 5] }], 'd-count': [{ numeric: ['<', 10] }], 'x-limit': [{ 'anything-but': [100, 200, 300] }] },
    },
    match: true,
  },
  {
    name: 'a key given twice: the last reference is used (us-east is excluded)',
    event: withDetail({ location: 'us-east' }),
    pattern: '{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}',
    match: false,
  },
  {
    name: 'a key given twice: the first reference is ignored (eu-west-1 passes)',
    event: withDetail({ location: 'eu-west-1' }),
    pattern: '{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}',
    match: true,
  },

  // --- arrays of objects (event-ruler, "JSON Array Matching")
  {
    name: 'array of objects: employees with firstName Anna',
    event: {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    },
    pattern: { employees: { firstName: ['Anna'] } },
    match: true,
  },
  {
    name: 'array of objects: fields must match within the same element (Anna Jones)',
    event: {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    },
    pattern: { employees: { firstName: ['Anna'], lastName: ['Jones'] } },
    match: false,
  },
  {
    name: 'array of objects: multi-level arrays are crushed',
    event: { employees: [[{ firstName: 'John' }, { firstName: 'Anna' }], [{ firstName: 'Peter' }]] },
    pattern: { employees: { firstName: ['Peter'] } },
    match: true,
  },
];

describe('event pattern matching (user guide examples)', () => {
  it('has at least 40 cases, both matches and non-matches', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(cases.filter((c) => c.match).length).toBeGreaterThan(10);
    expect(cases.filter((c) => !c.match).length).toBeGreaterThan(10);
  });

  it.each(cases)('$name', ({ event, pattern, match }) => {
    expect(matchesPattern(pattern, event)).toBe(match);
  });
});

describe('event pattern validation', () => {
  const invalid: Array<[string, string | Json]> = [
    ['malformed JSON', '{"source": ['],
    ['a pattern that is not an object', '["aws.ec2"]'],
    ['an empty pattern', {}],
    ['a field value that is neither an array nor an object', { source: 'aws.ec2' }],
    ['an empty value array', { source: [] }],
    ['an empty nested object', { detail: {} }],
    ['a nested array as a value', { source: [['aws.ec2']] }],
    ['an unknown operator', { source: [{ regex: 'aws.*' }] }],
    ['two operators in one match expression', { source: [{ prefix: 'aws.', suffix: 'ec2' }] }],
    ['a prefix that is not a string', { source: [{ prefix: 3 }] }],
    ['anything-but with mixed strings and numbers', { detail: { x: [{ 'anything-but': ['a', 1] }] } }],
    ['anything-but with an empty prefix', { detail: { x: [{ 'anything-but': { prefix: '' } }] } }],
    ['anything-but with an unsupported inner operator', { detail: { x: [{ 'anything-but': { numeric: ['>', 1] } }] } }],
    ['numeric with < followed by >', { detail: { x: [{ numeric: ['<', 10, '>', 0] }] } }],
    ['numeric with an empty range', { detail: { x: [{ numeric: ['>', 5, '<', 1] }] } }],
    ['numeric with a string operand', { detail: { x: [{ numeric: ['=', '5'] }] } }],
    ['numeric with an unknown operator', { detail: { x: [{ numeric: ['!=', 5] }] } }],
    ['exists with a non-boolean', { detail: { x: [{ exists: 'yes' }] } }],
    ['a wildcard with consecutive asterisks', { detail: { x: [{ wildcard: 'a**b' }] } }],
    ['a wildcard escaping a plain character', { detail: { x: [{ wildcard: 'a\\b' }] } }],
    ['a CIDR with too many bits', { detail: { ip: [{ cidr: '10.0.0.0/33' }] } }],
    ['a CIDR that is not an address', { detail: { ip: [{ cidr: 'not-an-ip/8' }] } }],
    ['$or with a single branch', { $or: [{ source: ['aws.ec2'] }] }],
    ['$or that is not an array', { $or: { source: ['aws.ec2'] } }],
    ['$or using an operator name as a field', { $or: [{ numeric: [1] }, { prefix: ['a'] }] }],
  ];

  it.each(invalid)('rejects %s with InvalidEventPatternException', (_name, pattern) => {
    let thrown: unknown;
    try {
      compilePattern(pattern);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AwsError);
    expect((thrown as AwsError).code).toBe('InvalidEventPatternException');
    expect((thrown as AwsError).status).toBe(400);
  });

  it('rejects $or over 1000 rule combinations and accepts 1000', () => {
    const branches = (n: number) => Array.from({ length: n }, (_, i) => ({ [`f${i}`]: ['x'] }));
    expect(checkPattern({ a: { $or: branches(10) }, b: { $or: branches(10) }, c: { $or: branches(10) } })).toBeUndefined();
    expect(checkPattern({ a: { $or: branches(10) }, b: { $or: branches(10) }, c: { $or: branches(11) } })).toMatch(/1100 rule combinations/);
  });

  it('accepts every pattern of the matching table', () => {
    for (const c of cases) expect(checkPattern(c.pattern), c.name).toBeUndefined();
  });
});
