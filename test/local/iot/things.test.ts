import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreateThingCommand,
  DeleteThingCommand,
  DescribeThingCommand,
  DetachThingPrincipalCommand,
  ListPrincipalThingsCommand,
  ListPrincipalThingsV2Command,
  ListThingPrincipalsCommand,
  ListThingPrincipalsV2Command,
  ListThingsCommand,
  UpdateThingCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { allPages, expectAwsError, SOURCE, startIot, TARGET, type Harness } from './harness.js';

let h: Harness;
let iot: IoTClient;
let n = 0;

beforeAll(async () => {
  h = await startIot();
  iot = h.client(SOURCE);
});
afterAll(() => h.close());

const newCert = async (client = iot) => (await client.send(new CreateKeysAndCertificateCommand({}))).certificateArn!;
const newThing = async (client = iot, prefix = 'thing') => {
  const thingName = `${prefix}-${++n}`;
  await client.send(new CreateThingCommand({ thingName }));
  return thingName;
};

describe('CreateThing / DescribeThing / UpdateThing / DeleteThing', () => {
  it('creates a thing and describes it', async () => {
    const out = await iot.send(new CreateThingCommand({ thingName: 'sensor-1', attributePayload: { attributes: { model: 'x1' } } }));
    expect(out.thingArn).toBe(`arn:aws:iot:us-east-1:${SOURCE}:thing/sensor-1`);
    expect(out.thingId).toMatch(/^[0-9a-f-]{36}$/);
    const d = await iot.send(new DescribeThingCommand({ thingName: 'sensor-1' }));
    expect(d).toMatchObject({ thingName: 'sensor-1', defaultClientId: 'sensor-1', thingId: out.thingId, thingArn: out.thingArn, attributes: { model: 'x1' }, version: 1 });
  });

  it('is idempotent for the same configuration, ResourceAlreadyExistsException for a different one', async () => {
    const a = await iot.send(new CreateThingCommand({ thingName: 'twice', attributePayload: { attributes: { a: '1' } } }));
    const b = await iot.send(new CreateThingCommand({ thingName: 'twice', attributePayload: { attributes: { a: '1' } } }));
    expect(b.thingId).toBe(a.thingId);
    await expectAwsError(iot.send(new CreateThingCommand({ thingName: 'twice', attributePayload: { attributes: { a: '2' } } })), 'ResourceAlreadyExistsException', 409);
  });

  it('validates names and refuses thing types (none exist in the emulator)', async () => {
    await expectAwsError(iot.send(new CreateThingCommand({ thingName: 'bad name' })), 'InvalidRequestException', 400);
    await expectAwsError(iot.send(new CreateThingCommand({ thingName: 'typed', thingTypeName: 'Lamp' })), 'ResourceNotFoundException', 404);
    await expectAwsError(iot.send(new DescribeThingCommand({ thingName: 'never-created' })), 'ResourceNotFoundException', 404);
  });

  it('updates attributes (merge removes empty values) and the version, with VersionConflictException on a stale version', async () => {
    await iot.send(new CreateThingCommand({ thingName: 'upd', attributePayload: { attributes: { a: '1', b: '2' } } }));
    await iot.send(new UpdateThingCommand({ thingName: 'upd', attributePayload: { attributes: { b: '', c: '3' }, merge: true }, expectedVersion: 1 }));
    const d = await iot.send(new DescribeThingCommand({ thingName: 'upd' }));
    expect(d).toMatchObject({ attributes: { a: '1', c: '3' }, version: 2 });
    await expectAwsError(iot.send(new UpdateThingCommand({ thingName: 'upd', expectedVersion: 1 })), 'VersionConflictException', 409);
  });

  it('refuses to delete a thing with principals (InvalidRequestException); deleting a missing thing succeeds', async () => {
    const thing = await newThing();
    const arn = await newCert();
    await iot.send(new AttachThingPrincipalCommand({ thingName: thing, principal: arn }));
    await expectAwsError(iot.send(new DeleteThingCommand({ thingName: thing })), 'InvalidRequestException', 400);
    await iot.send(new DetachThingPrincipalCommand({ thingName: thing, principal: arn }));
    await expectAwsError(iot.send(new DeleteThingCommand({ thingName: thing, expectedVersion: 7 })), 'VersionConflictException', 409);
    await iot.send(new DeleteThingCommand({ thingName: thing }));
    await expectAwsError(iot.send(new DescribeThingCommand({ thingName: thing })), 'ResourceNotFoundException', 404);
    await iot.send(new DeleteThingCommand({ thingName: thing }));
  });

  it('ListThings pages through things and filters by attribute', async () => {
    const client = h.client('888888888888');
    for (let i = 0; i < 5; i++) await client.send(new CreateThingCommand({ thingName: `lt-${i}`, attributePayload: { attributes: { parity: i % 2 === 0 ? 'even' : 'odd' } } }));
    const pages = await allPages(
      (nextToken) => client.send(new ListThingsCommand({ maxResults: 2, nextToken })),
      (p) => p.things,
    );
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((t) => t.thingName)).toEqual(['lt-0', 'lt-1', 'lt-2', 'lt-3', 'lt-4']);
    expect(pages[0][0]).toMatchObject({ thingArn: 'arn:aws:iot:us-east-1:888888888888:thing/lt-0', version: 1, attributes: { parity: 'even' } });
    const odd = await client.send(new ListThingsCommand({ attributeName: 'parity', attributeValue: 'odd' }));
    expect(odd.things!.map((t) => t.thingName)).toEqual(['lt-1', 'lt-3']);
  });
});

describe('AttachThingPrincipal / DetachThingPrincipal', () => {
  it('attaches NON_EXCLUSIVE_THING by default, to several things', async () => {
    const arn = await newCert();
    const [a, b] = [await newThing(), await newThing()];
    await iot.send(new AttachThingPrincipalCommand({ thingName: a, principal: arn }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: b, principal: arn }));
    const v2 = await iot.send(new ListPrincipalThingsV2Command({ principal: arn }));
    expect(v2.principalThingObjects).toEqual([
      { thingName: a, thingPrincipalType: 'NON_EXCLUSIVE_THING' },
      { thingName: b, thingPrincipalType: 'NON_EXCLUSIVE_THING' },
    ]);
  });

  it('EXCLUSIVE_THING: the principal may be attached to that one thing only', async () => {
    const arn = await newCert();
    const [a, b] = [await newThing(), await newThing()];
    await iot.send(new AttachThingPrincipalCommand({ thingName: a, principal: arn, thingPrincipalType: 'EXCLUSIVE_THING' }));
    await expectAwsError(iot.send(new AttachThingPrincipalCommand({ thingName: b, principal: arn })), 'InvalidRequestException', 400);
    await expectAwsError(iot.send(new AttachThingPrincipalCommand({ thingName: b, principal: arn, thingPrincipalType: 'EXCLUSIVE_THING' })), 'InvalidRequestException', 400);
    // Re-attaching to the same thing is fine.
    await iot.send(new AttachThingPrincipalCommand({ thingName: a, principal: arn, thingPrincipalType: 'EXCLUSIVE_THING' }));
    const things = await iot.send(new ListPrincipalThingsCommand({ principal: arn }));
    expect(things.things).toEqual([a]);
  });

  it('cannot attach exclusively a principal already attached elsewhere', async () => {
    const arn = await newCert();
    const [a, b] = [await newThing(), await newThing()];
    await iot.send(new AttachThingPrincipalCommand({ thingName: a, principal: arn }));
    await expectAwsError(iot.send(new AttachThingPrincipalCommand({ thingName: b, principal: arn, thingPrincipalType: 'EXCLUSIVE_THING' })), 'InvalidRequestException', 400);
  });

  it('answers ResourceNotFoundException for an unknown thing or certificate, InvalidRequestException for a bad type', async () => {
    const arn = await newCert();
    const thing = await newThing();
    await expectAwsError(iot.send(new AttachThingPrincipalCommand({ thingName: 'ghost', principal: arn })), 'ResourceNotFoundException', 404);
    await expectAwsError(iot.send(new AttachThingPrincipalCommand({ thingName: thing, principal: `arn:aws:iot:us-east-1:${SOURCE}:cert/${'e'.repeat(64)}` })), 'ResourceNotFoundException', 404);
    await expectAwsError(iot.send(new AttachThingPrincipalCommand({ thingName: thing, principal: arn, thingPrincipalType: 'SHARED' as never })), 'InvalidRequestException', 400);
    await expectAwsError(iot.send(new AttachThingPrincipalCommand({ thingName: thing, principal: await newCert(h.client(TARGET)) })), 'ResourceNotFoundException', 404);
  });

  it('detaching what is not attached answers ResourceNotFoundException', async () => {
    const arn = await newCert();
    const thing = await newThing();
    await expectAwsError(iot.send(new DetachThingPrincipalCommand({ thingName: thing, principal: arn })), 'ResourceNotFoundException', 404);
    await iot.send(new AttachThingPrincipalCommand({ thingName: thing, principal: arn }));
    await iot.send(new DetachThingPrincipalCommand({ thingName: thing, principal: arn }));
    await expectAwsError(iot.send(new DetachThingPrincipalCommand({ thingName: thing, principal: arn })), 'ResourceNotFoundException', 404);
    expect((await iot.send(new ListThingPrincipalsCommand({ thingName: thing }))).principals).toEqual([]);
  });
});

describe('ListPrincipalThings (+V2) and ListThingPrincipals (+V2)', () => {
  it('ListPrincipalThings and V2 page through the things of a certificate; V2 filters by type', async () => {
    const arn = await newCert();
    const names: string[] = [];
    for (let i = 0; i < 5; i++) {
      const t = await newThing(iot, 'lpt');
      names.push(t);
      await iot.send(new AttachThingPrincipalCommand({ thingName: t, principal: arn }));
    }
    const v1 = await allPages(
      (nextToken) => iot.send(new ListPrincipalThingsCommand({ principal: arn, maxResults: 2, nextToken })),
      (p) => p.things,
    );
    expect(v1.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(v1.flat().sort()).toEqual([...names].sort());
    const v2 = await allPages(
      (nextToken) => iot.send(new ListPrincipalThingsV2Command({ principal: arn, maxResults: 3, nextToken })),
      (p) => p.principalThingObjects,
    );
    expect(v2.map((p) => p.length)).toEqual([3, 2]);
    expect(v2.flat().every((o) => o.thingPrincipalType === 'NON_EXCLUSIVE_THING')).toBe(true);
    const exclusive = await iot.send(new ListPrincipalThingsV2Command({ principal: arn, thingPrincipalType: 'EXCLUSIVE_THING' }));
    expect(exclusive.principalThingObjects).toEqual([]);
  });

  it('ListPrincipalThings answers ResourceNotFoundException for an unknown certificate', async () => {
    await expectAwsError(iot.send(new ListPrincipalThingsCommand({ principal: `arn:aws:iot:us-east-1:${SOURCE}:cert/${'f'.repeat(64)}` })), 'ResourceNotFoundException', 404);
    await expectAwsError(iot.send(new ListPrincipalThingsV2Command({ principal: `arn:aws:iot:us-east-1:${SOURCE}:cert/${'f'.repeat(64)}` })), 'ResourceNotFoundException', 404);
  });

  it('ListThingPrincipals and V2 page through the certificates of a thing', async () => {
    const thing = await newThing();
    const arns: string[] = [];
    for (let i = 0; i < 5; i++) {
      const arn = await newCert();
      arns.push(arn);
      await iot.send(new AttachThingPrincipalCommand({ thingName: thing, principal: arn, thingPrincipalType: i === 0 ? 'EXCLUSIVE_THING' : 'NON_EXCLUSIVE_THING' }));
    }
    const v1 = await allPages(
      (nextToken) => iot.send(new ListThingPrincipalsCommand({ thingName: thing, maxResults: 2, nextToken })),
      (p) => p.principals,
    );
    expect(v1.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(v1.flat().sort()).toEqual([...arns].sort());
    const v2 = await allPages(
      (nextToken) => iot.send(new ListThingPrincipalsV2Command({ thingName: thing, maxResults: 4, nextToken })),
      (p) => p.thingPrincipalObjects,
    );
    expect(v2.map((p) => p.length)).toEqual([4, 1]);
    const exclusive = await iot.send(new ListThingPrincipalsV2Command({ thingName: thing, thingPrincipalType: 'EXCLUSIVE_THING' }));
    expect(exclusive.thingPrincipalObjects).toEqual([{ principal: arns[0], thingPrincipalType: 'EXCLUSIVE_THING' }]);
    await expectAwsError(iot.send(new ListThingPrincipalsCommand({ thingName: 'ghost' })), 'ResourceNotFoundException', 404);
  });

  it('reads the principal from the raw x-amzn-principal header', async () => {
    const arn = await newCert();
    const thing = await newThing();
    await iot.send(new AttachThingPrincipalCommand({ thingName: thing, principal: arn }));
    const res = await h.raw(SOURCE, { method: 'GET', path: '/principals/things', headers: { 'x-amzn-principal': arn } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ things: [thing] });
  });
});
