import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createStepFunctionsProvider } from '../../../local/stepfunctions/protocol.js';
import { startLocalSfn, ROLE, definition, type LocalSfn } from './helpers.js';

/** A raw awsJson1.0 call, unsigned (the edge then routes by X-Amz-Target). */
async function call(url: string, operation: string, body: unknown): Promise<{ status: number; type: string | null; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `AWSStepFunctions.${operation}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('content-type'), json: (await res.json()) as Record<string, unknown> };
}

describe('Step Functions emulator: awsJson1.0 wire protocol', () => {
  let sfn: LocalSfn;

  beforeAll(async () => {
    sfn = await startLocalSfn(() => null);
  });
  afterAll(() => sfn.close());
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('serialises dates as epoch seconds with the awsJson 1.0 content type', async () => {
    const before = Date.now() / 1000;
    const created = await call(sfn.url, 'CreateStateMachine', { name: 'wire', definition: definition('history'), roleArn: ROLE });
    expect(created.status).toBe(200);
    expect(created.type).toBe('application/x-amz-json-1.0');
    expect(typeof created.json.creationDate).toBe('number');
    expect(created.json.creationDate as number).toBeGreaterThanOrEqual(Math.floor(before));
    expect(created.json.stateMachineArn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:wire');
  });

  it('answers errors as {"__type", "message"} with status 400', async () => {
    const res = await call(sfn.url, 'DescribeExecution', { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:nope:nope' });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ __type: 'ExecutionDoesNotExist', message: expect.stringContaining('nope') });
    const missing = await call(sfn.url, 'StartExecution', {});
    expect(missing).toMatchObject({ status: 400, json: { __type: 'ValidationException' } });
    const garbled = await call(sfn.url, 'ListStateMachines', '{not json');
    expect(garbled).toMatchObject({ status: 400, json: { __type: 'SerializationException' } });
  });

  it('answers 501 NotImplementedException to an operation it does not implement', async () => {
    const res = await call(sfn.url, 'TagResource', { resourceArn: 'x', tags: [] });
    expect(res.status).toBe(501);
    expect(res.json).toMatchObject({ __type: 'NotImplementedException', message: expect.stringContaining('TagResource') });
  });

  it('answers an unexpected error as 500 InternalFailure, the detail only in the log', async () => {
    const bug = new Error('a secret detail');
    vi.spyOn(sfn.model, 'listStateMachines').mockRejectedValue(bug);
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const res = await call(sfn.url, 'ListStateMachines', {});
    expect(res.status).toBe(500);
    expect(res.json).toEqual({ __type: 'InternalFailure', message: 'An internal error occurred.' });
    expect(logged).toHaveBeenCalledWith('[stepfunctions]', 'ListStateMachines', bug);
  });

  it('answers a request without an AWSStepFunctions target as 400 UnknownOperationException', async () => {
    const provider = createStepFunctionsProvider(sfn.model);
    const res = await provider.handle({
      method: 'POST',
      rawPath: '/',
      path: '/',
      query: new URLSearchParams(),
      headers: { 'x-amz-target': 'AWSEvents.ListRules' },
      body: Buffer.from('{}'),
      service: 'states',
      account: '000000000000',
      region: 'us-east-1',
      accessKeyId: '',
    });
    expect(res.status).toBe(400);
    expect(res.headers?.['x-amzn-errortype']).toBe('UnknownOperationException');
  });
});
