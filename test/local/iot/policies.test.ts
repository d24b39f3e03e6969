import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttachPolicyCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  DeletePolicyCommand,
  DetachPolicyCommand,
  GetPolicyCommand,
  ListAttachedPoliciesCommand,
  ListPoliciesCommand,
  ListTargetsForPolicyCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { ALLOW_ALL_POLICY, allPages, expectAwsError, SOURCE, startIot, TARGET, type Harness } from './harness.js';

let h: Harness;
let iot: IoTClient;
let n = 0;

beforeAll(async () => {
  h = await startIot();
  iot = h.client(SOURCE);
});
afterAll(() => h.close());

const newCert = async (client = iot) => (await client.send(new CreateKeysAndCertificateCommand({}))).certificateArn!;
const newPolicy = async (client = iot, prefix = 'p') => {
  const policyName = `${prefix}-${++n}`;
  await client.send(new CreatePolicyCommand({ policyName, policyDocument: ALLOW_ALL_POLICY }));
  return policyName;
};

describe('CreatePolicy / GetPolicy / DeletePolicy', () => {
  it('creates a policy with default version 1 and reads it back', async () => {
    const out = await iot.send(new CreatePolicyCommand({ policyName: 'device-policy', policyDocument: ALLOW_ALL_POLICY }));
    expect(out).toMatchObject({ policyName: 'device-policy', policyArn: `arn:aws:iot:us-east-1:${SOURCE}:policy/device-policy`, policyDocument: ALLOW_ALL_POLICY, policyVersionId: '1' });
    const got = await iot.send(new GetPolicyCommand({ policyName: 'device-policy' }));
    expect(got).toMatchObject({ policyName: 'device-policy', policyDocument: ALLOW_ALL_POLICY, defaultVersionId: '1' });
    expect(got.creationDate).toBeInstanceOf(Date);
    expect(got.generationId).toBeTruthy();
  });

  it('refuses a duplicate name (ResourceAlreadyExistsException) and a document that is not a JSON policy (MalformedPolicyException)', async () => {
    await iot.send(new CreatePolicyCommand({ policyName: 'dup', policyDocument: ALLOW_ALL_POLICY }));
    await expectAwsError(iot.send(new CreatePolicyCommand({ policyName: 'dup', policyDocument: ALLOW_ALL_POLICY })), 'ResourceAlreadyExistsException', 409);
    await expectAwsError(iot.send(new CreatePolicyCommand({ policyName: 'bad-json', policyDocument: '{not json' })), 'MalformedPolicyException', 400);
    await expectAwsError(iot.send(new CreatePolicyCommand({ policyName: 'bad name!', policyDocument: ALLOW_ALL_POLICY })), 'InvalidRequestException', 400);
  });

  it('keeps policies per account', async () => {
    await iot.send(new CreatePolicyCommand({ policyName: 'mine', policyDocument: ALLOW_ALL_POLICY }));
    await expectAwsError(h.client(TARGET).send(new GetPolicyCommand({ policyName: 'mine' })), 'ResourceNotFoundException', 404);
  });

  it('refuses to delete an attached policy (DeleteConflictException), deletes it once detached', async () => {
    const arn = await newCert();
    const name = await newPolicy();
    await iot.send(new AttachPolicyCommand({ policyName: name, target: arn }));
    await expectAwsError(iot.send(new DeletePolicyCommand({ policyName: name })), 'DeleteConflictException', 409);
    await iot.send(new DetachPolicyCommand({ policyName: name, target: arn }));
    await iot.send(new DeletePolicyCommand({ policyName: name }));
    await expectAwsError(iot.send(new GetPolicyCommand({ policyName: name })), 'ResourceNotFoundException', 404);
    await expectAwsError(iot.send(new DeletePolicyCommand({ policyName: name })), 'ResourceNotFoundException', 404);
  });

  it('ListPolicies pages through every policy', async () => {
    const client = h.client('777777777777');
    const names: string[] = [];
    for (let i = 0; i < 5; i++) names.push(await newPolicy(client, 'lp'));
    const pages = await allPages(
      (marker) => client.send(new ListPoliciesCommand({ pageSize: 2, marker, ascendingOrder: true })),
      (p) => p.policies,
    );
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(
      pages
        .flat()
        .map((p) => p.policyName)
        .sort(),
    ).toEqual([...names].sort());
    expect(pages[0][0].policyArn).toMatch(/^arn:aws:iot:us-east-1:777777777777:policy\/lp-/);
  });
});

describe('AttachPolicy / DetachPolicy', () => {
  it('attaches idempotently', async () => {
    const arn = await newCert();
    const name = await newPolicy();
    await iot.send(new AttachPolicyCommand({ policyName: name, target: arn }));
    await iot.send(new AttachPolicyCommand({ policyName: name, target: arn }));
    const out = await iot.send(new ListAttachedPoliciesCommand({ target: arn }));
    expect(out.policies).toEqual([{ policyName: name, policyArn: `arn:aws:iot:us-east-1:${SOURCE}:policy/${name}` }]);
  });

  it('answers ResourceNotFoundException for an unknown policy or certificate', async () => {
    const arn = await newCert();
    await expectAwsError(iot.send(new AttachPolicyCommand({ policyName: 'nope', target: arn })), 'ResourceNotFoundException', 404);
    const name = await newPolicy();
    await expectAwsError(iot.send(new AttachPolicyCommand({ policyName: name, target: `arn:aws:iot:us-east-1:${SOURCE}:cert/${'c'.repeat(64)}` })), 'ResourceNotFoundException', 404);
  });

  it("cannot reach another account's certificate", async () => {
    const theirs = await newCert(h.client(TARGET));
    const name = await newPolicy();
    await expectAwsError(iot.send(new AttachPolicyCommand({ policyName: name, target: theirs })), 'ResourceNotFoundException', 404);
  });

  it('allows at most 10 policies per certificate (LimitExceededException 410)', async () => {
    const arn = await newCert();
    for (let i = 0; i < 10; i++) await iot.send(new AttachPolicyCommand({ policyName: await newPolicy(), target: arn }));
    await expectAwsError(iot.send(new AttachPolicyCommand({ policyName: await newPolicy(), target: arn })), 'LimitExceededException', 410);
  });

  it('detaching a policy that is not attached answers ResourceNotFoundException', async () => {
    const arn = await newCert();
    const name = await newPolicy();
    await expectAwsError(iot.send(new DetachPolicyCommand({ policyName: name, target: arn })), 'ResourceNotFoundException', 404);
    await iot.send(new AttachPolicyCommand({ policyName: name, target: arn }));
    await iot.send(new DetachPolicyCommand({ policyName: name, target: arn }));
    await expectAwsError(iot.send(new DetachPolicyCommand({ policyName: name, target: arn })), 'ResourceNotFoundException', 404);
    const out = await iot.send(new ListAttachedPoliciesCommand({ target: arn }));
    expect(out.policies).toEqual([]);
  });

  it('says clearly that non-certificate targets are not emulated', async () => {
    const name = await newPolicy();
    const err = await expectAwsError(iot.send(new AttachPolicyCommand({ policyName: name, target: 'us-east-1:0f0f0f0f-aaaa-bbbb-cccc-000000000000' })), 'InvalidRequestException', 400);
    expect(err.message).toMatch(/only X\.509 certificate principals are emulated/);
  });
});

describe('ListAttachedPolicies', () => {
  it('pages through the policies of a certificate (recursive accepted)', async () => {
    const arn = await newCert();
    const names: string[] = [];
    for (let i = 0; i < 7; i++) {
      const name = await newPolicy(iot, 'lap');
      names.push(name);
      await iot.send(new AttachPolicyCommand({ policyName: name, target: arn }));
    }
    const pages = await allPages(
      (marker) => iot.send(new ListAttachedPoliciesCommand({ target: arn, pageSize: 3, marker, recursive: true })),
      (p) => p.policies,
    );
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(
      pages
        .flat()
        .map((p) => p.policyName)
        .sort(),
    ).toEqual([...names].sort());
  });

  it('answers ResourceNotFoundException for an unknown certificate', async () => {
    await expectAwsError(iot.send(new ListAttachedPoliciesCommand({ target: `arn:aws:iot:us-east-1:${SOURCE}:cert/${'d'.repeat(64)}` })), 'ResourceNotFoundException', 404);
  });

  it('accepts the target percent-encoded in the path, "/" included', async () => {
    const arn = await newCert();
    const name = await newPolicy();
    await iot.send(new AttachPolicyCommand({ policyName: name, target: arn }));
    const path = `/attached-policies/${encodeURIComponent(arn)}`;
    expect(path).toContain('%3Acert%2F');
    const res = await h.raw(SOURCE, { method: 'POST', path });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ policies: [{ policyName: name, policyArn: `arn:aws:iot:us-east-1:${SOURCE}:policy/${name}` }] });
  });
});

describe('ListTargetsForPolicy', () => {
  it('pages through the certificates a policy is attached to', async () => {
    const name = await newPolicy();
    const arns: string[] = [];
    for (let i = 0; i < 5; i++) {
      const arn = await newCert();
      arns.push(arn);
      await iot.send(new AttachPolicyCommand({ policyName: name, target: arn }));
    }
    const pages = await allPages(
      (marker) => iot.send(new ListTargetsForPolicyCommand({ policyName: name, pageSize: 2, marker })),
      (p) => p.targets,
    );
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().sort()).toEqual([...arns].sort());
  });

  it('answers ResourceNotFoundException for an unknown policy', async () => {
    await expectAwsError(iot.send(new ListTargetsForPolicyCommand({ policyName: 'ghost' })), 'ResourceNotFoundException', 404);
  });
});
