import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  ListAttachedPoliciesCommand,
  ListCertificatesCommand,
  RegisterCertificateWithoutCACommand,
  UpdateCertificateCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { ALLOW_ALL_POLICY, allPages, expectAwsError, ManualClock, SOURCE, startIot, STRANGER, TARGET, type Harness } from './harness.js';

let h: Harness;
let iot: IoTClient;
let other: IoTClient;
const clock = new ManualClock();

beforeAll(async () => {
  // The clock ticks one second per read, so every certificate has its own creation date.
  h = await startIot({ clock: () => (clock.ms += 1000) });
  iot = h.client(SOURCE);
  other = h.client(TARGET);
});
afterAll(() => h.close());

const create = (active = false, client = iot) => client.send(new CreateKeysAndCertificateCommand({ setAsActive: active }));

describe('CreateKeysAndCertificate', () => {
  it('issues a real X.509 certificate whose id is the SHA-256 of its DER, with the matching key pair', async () => {
    const out = await create(true);
    const x = new X509Certificate(out.certificatePem!);
    expect(out.certificateId).toBe(createHash('sha256').update(x.raw).digest('hex'));
    expect(out.certificateId).toMatch(/^[0-9a-f]{64}$/);
    expect(out.certificateArn).toBe(`arn:aws:iot:us-east-1:${SOURCE}:cert/${out.certificateId}`);
    expect(x.checkPrivateKey(createPrivateKey(out.keyPair!.PrivateKey!))).toBe(true);
    expect(out.keyPair!.PublicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(x.subject).toBe('CN=AWS IoT Certificate');
    expect(x.issuer).toContain('Amazon Web Services');
    expect(new Date(x.validTo).getUTCFullYear()).toBe(2049);
  });

  it('sets ACTIVE only with setAsActive, INACTIVE otherwise', async () => {
    const active = await create(true);
    const inactive = await create(false);
    const d1 = await iot.send(new DescribeCertificateCommand({ certificateId: active.certificateId }));
    const d2 = await iot.send(new DescribeCertificateCommand({ certificateId: inactive.certificateId }));
    expect([d1.certificateDescription!.status, d2.certificateDescription!.status]).toEqual(['ACTIVE', 'INACTIVE']);
  });

  it('generates RSA-2048 keys by default, each certificate unique even when keys come from the pool', async () => {
    const rsa = await startIot({ keyAlgorithm: 'rsa', keyPoolSize: 1 });
    try {
      const c = rsa.client(SOURCE);
      const a = await c.send(new CreateKeysAndCertificateCommand({}));
      const b = await c.send(new CreateKeysAndCertificateCommand({}));
      const x = new X509Certificate(a.certificatePem!);
      expect(x.publicKey.asymmetricKeyType).toBe('rsa');
      expect(x.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
      expect(a.keyPair!.PrivateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
      expect(a.certificateId).not.toBe(b.certificateId);
    } finally {
      await rsa.close();
    }
  });
});

describe('RegisterCertificateWithoutCA', () => {
  it('registers a PEM issued elsewhere, INACTIVE unless a status is given', async () => {
    const elsewhere = await startIot();
    try {
      const issued = await elsewhere.client(SOURCE).send(new CreateKeysAndCertificateCommand({}));
      const reg = await other.send(new RegisterCertificateWithoutCACommand({ certificatePem: issued.certificatePem }));
      expect(reg.certificateId).toBe(issued.certificateId);
      expect(reg.certificateArn).toBe(`arn:aws:iot:us-east-1:${TARGET}:cert/${issued.certificateId}`);
      const d = await other.send(new DescribeCertificateCommand({ certificateId: reg.certificateId }));
      expect(d.certificateDescription).toMatchObject({ status: 'INACTIVE', ownedBy: TARGET, certificatePem: issued.certificatePem });
    } finally {
      await elsewhere.close();
    }
  });

  it('rejects garbage with InvalidRequestException', async () => {
    await expectAwsError(iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: 'not a certificate' })), 'InvalidRequestException', 400);
    await expectAwsError(iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' })), 'InvalidRequestException', 400);
  });

  it('refuses a DEFAULT-mode certificate already registered (in any account) with ResourceAlreadyExistsException', async () => {
    const c = await create();
    const again = await expectAwsError(iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: c.certificatePem })), 'ResourceAlreadyExistsException', 409);
    expect(again).toMatchObject({ resourceId: c.certificateId, resourceArn: c.certificateArn });
    await expectAwsError(other.send(new RegisterCertificateWithoutCACommand({ certificatePem: c.certificatePem })), 'ResourceAlreadyExistsException', 409);
  });

  it('refuses the internal statuses PENDING_TRANSFER and PENDING_ACTIVATION', async () => {
    const elsewhere = await startIot();
    try {
      const issued = await elsewhere.client(SOURCE).send(new CreateKeysAndCertificateCommand({}));
      await expectAwsError(iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: issued.certificatePem, status: 'PENDING_TRANSFER' })), 'InvalidRequestException', 400);
      const ok = await iot.send(new RegisterCertificateWithoutCACommand({ certificatePem: issued.certificatePem, status: 'ACTIVE' }));
      const d = await iot.send(new DescribeCertificateCommand({ certificateId: ok.certificateId }));
      expect(d.certificateDescription!.status).toBe('ACTIVE');
    } finally {
      await elsewhere.close();
    }
  });
});

describe('DescribeCertificate', () => {
  it('returns the full description, dates decoded from epoch seconds', async () => {
    const c = await create(true);
    const d = (await iot.send(new DescribeCertificateCommand({ certificateId: c.certificateId }))).certificateDescription!;
    expect(d).toMatchObject({
      certificateArn: c.certificateArn,
      certificateId: c.certificateId,
      status: 'ACTIVE',
      certificatePem: c.certificatePem,
      ownedBy: SOURCE,
      customerVersion: 1,
      certificateMode: 'DEFAULT',
    });
    expect(d.previousOwnedBy).toBeUndefined();
    expect(d.creationDate).toBeInstanceOf(Date);
    expect(d.lastModifiedDate!.getTime()).toBe(d.creationDate!.getTime());
    expect(d.generationId).toBeTruthy();
    expect(d.validity!.notAfter!.toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(d.validity!.notBefore!.getTime()).toBeLessThanOrEqual(d.creationDate!.getTime());
  });

  it('answers ResourceNotFoundException for an unknown id and for another account', async () => {
    const c = await create();
    await expectAwsError(iot.send(new DescribeCertificateCommand({ certificateId: 'a'.repeat(64) })), 'ResourceNotFoundException', 404);
    await expectAwsError(h.client(STRANGER).send(new DescribeCertificateCommand({ certificateId: c.certificateId })), 'ResourceNotFoundException', 404);
  });

  it('validates the id: 64 hex characters', async () => {
    await expectAwsError(iot.send(new DescribeCertificateCommand({ certificateId: 'abc' })), 'InvalidRequestException', 400);
    await expectAwsError(iot.send(new DescribeCertificateCommand({ certificateId: 'z'.repeat(64) })), 'InvalidRequestException', 400);
  });
});

describe('ListCertificates', () => {
  it('pages through every certificate with pageSize/marker, newest first by default, oldest first with ascendingOrder', async () => {
    const lister = h.client('555555555555');
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await create(false, lister)).certificateId!);
    const pages = await allPages(
      (marker) => lister.send(new ListCertificatesCommand({ pageSize: 3, marker })),
      (p) => p.certificates,
    );
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat().map((c) => c.certificateId)).toEqual([...ids].reverse());
    expect(pages[0][0]).toMatchObject({ status: 'INACTIVE', certificateMode: 'DEFAULT', certificateArn: `arn:aws:iot:us-east-1:555555555555:cert/${ids[6]}` });
    const asc = await allPages(
      (marker) => lister.send(new ListCertificatesCommand({ pageSize: 4, marker, ascendingOrder: true })),
      (p) => p.certificates,
    );
    expect(asc.map((p) => p.length)).toEqual([4, 3]);
    expect(asc.flat().map((c) => c.certificateId)).toEqual(ids);
  });

  it('defaults to pages of 25', async () => {
    const lister = h.client('666666666666');
    await Promise.all(Array.from({ length: 26 }, () => create(false, lister)));
    const first = await lister.send(new ListCertificatesCommand({}));
    expect(first.certificates).toHaveLength(25);
    const second = await lister.send(new ListCertificatesCommand({ marker: first.nextMarker }));
    expect(second.certificates).toHaveLength(1);
    expect(second.nextMarker).toBeUndefined();
  });

  it('rejects a page size outside 1…250 and a forged marker', async () => {
    await expectAwsError(iot.send(new ListCertificatesCommand({ pageSize: 0 })), 'InvalidRequestException', 400);
    await expectAwsError(iot.send(new ListCertificatesCommand({ pageSize: 251 })), 'InvalidRequestException', 400);
    await expectAwsError(iot.send(new ListCertificatesCommand({ marker: 'bm90LWEtbWFya2Vy' })), 'InvalidRequestException', 400);
  });
});

describe('UpdateCertificate', () => {
  it('changes the status, bumping lastModifiedDate and customerVersion; repeating it is a no-op', async () => {
    const c = await create(true);
    await iot.send(new UpdateCertificateCommand({ certificateId: c.certificateId, newStatus: 'INACTIVE' }));
    const d = (await iot.send(new DescribeCertificateCommand({ certificateId: c.certificateId }))).certificateDescription!;
    expect(d.status).toBe('INACTIVE');
    expect(d.customerVersion).toBe(2);
    expect(d.lastModifiedDate!.getTime()).toBeGreaterThan(d.creationDate!.getTime());
    await iot.send(new UpdateCertificateCommand({ certificateId: c.certificateId, newStatus: 'INACTIVE' }));
    const again = (await iot.send(new DescribeCertificateCommand({ certificateId: c.certificateId }))).certificateDescription!;
    expect(again.customerVersion).toBe(2);
  });

  it('keeps REVOKED terminal (CertificateStateException 406)', async () => {
    const c = await create(true);
    await iot.send(new UpdateCertificateCommand({ certificateId: c.certificateId, newStatus: 'REVOKED' }));
    await expectAwsError(iot.send(new UpdateCertificateCommand({ certificateId: c.certificateId, newStatus: 'ACTIVE' })), 'CertificateStateException', 406);
    await iot.send(new UpdateCertificateCommand({ certificateId: c.certificateId, newStatus: 'REVOKED' }));
  });

  it('refuses internal or unknown statuses, and unknown certificates', async () => {
    const c = await create(true);
    await expectAwsError(iot.send(new UpdateCertificateCommand({ certificateId: c.certificateId, newStatus: 'PENDING_TRANSFER' })), 'InvalidRequestException', 400);
    await expectAwsError(iot.send(new UpdateCertificateCommand({ certificateId: c.certificateId, newStatus: 'BROKEN' as never })), 'InvalidRequestException', 400);
    await expectAwsError(iot.send(new UpdateCertificateCommand({ certificateId: 'b'.repeat(64), newStatus: 'INACTIVE' })), 'ResourceNotFoundException', 404);
    await expectAwsError(other.send(new UpdateCertificateCommand({ certificateId: c.certificateId, newStatus: 'INACTIVE' })), 'ResourceNotFoundException', 404);
  });
});

describe('DeleteCertificate', () => {
  it('refuses an ACTIVE certificate (CertificateStateException 406)', async () => {
    const c = await create(true);
    await expectAwsError(iot.send(new DeleteCertificateCommand({ certificateId: c.certificateId })), 'CertificateStateException', 406);
  });

  it('refuses while policies are attached unless forceDelete, which also detaches them', async () => {
    const c = await create();
    await iot.send(new CreatePolicyCommand({ policyName: 'del-p', policyDocument: ALLOW_ALL_POLICY }));
    await iot.send(new AttachPolicyCommand({ policyName: 'del-p', target: c.certificateArn }));
    await expectAwsError(iot.send(new DeleteCertificateCommand({ certificateId: c.certificateId })), 'DeleteConflictException', 409);
    await iot.send(new DeleteCertificateCommand({ certificateId: c.certificateId, forceDelete: true }));
    await expectAwsError(iot.send(new DescribeCertificateCommand({ certificateId: c.certificateId })), 'ResourceNotFoundException', 404);
    const fresh = await create();
    await iot.send(new AttachPolicyCommand({ policyName: 'del-p', target: fresh.certificateArn }));
    const attached = await iot.send(new ListAttachedPoliciesCommand({ target: fresh.certificateArn }));
    expect(attached.policies!.map((p) => p.policyName)).toEqual(['del-p']);
  });

  it('refuses while things are attached, even with forceDelete', async () => {
    const c = await create();
    await iot.send(new CreateThingCommand({ thingName: 'del-thing' }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: 'del-thing', principal: c.certificateArn }));
    await expectAwsError(iot.send(new DeleteCertificateCommand({ certificateId: c.certificateId, forceDelete: true })), 'DeleteConflictException', 409);
  });

  it('deletes an INACTIVE or REVOKED certificate, which then no longer exists', async () => {
    const a = await create();
    const b = await create(true);
    await iot.send(new UpdateCertificateCommand({ certificateId: b.certificateId, newStatus: 'REVOKED' }));
    await iot.send(new DeleteCertificateCommand({ certificateId: a.certificateId }));
    await iot.send(new DeleteCertificateCommand({ certificateId: b.certificateId }));
    await expectAwsError(iot.send(new DescribeCertificateCommand({ certificateId: a.certificateId })), 'ResourceNotFoundException', 404);
    await expectAwsError(iot.send(new DeleteCertificateCommand({ certificateId: b.certificateId })), 'ResourceNotFoundException', 404);
  });
});
