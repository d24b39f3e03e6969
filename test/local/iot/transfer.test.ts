import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AcceptCertificateTransferCommand,
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CancelCertificateTransferCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  ListCertificatesCommand,
  ListOutgoingCertificatesCommand,
  RejectCertificateTransferCommand,
  TransferCertificateCommand,
  UpdateCertificateCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import { ALLOW_ALL_POLICY, allPages, expectAwsError, ManualClock, SOURCE, startIot, STRANGER, TARGET, TARGET_HUMAN, type Harness } from './harness.js';

let h: Harness;
let source: IoTClient;
let target: IoTClient;
let human: IoTClient;
let stranger: IoTClient;
const clock = new ManualClock();

beforeAll(async () => {
  h = await startIot({ clock: clock.now, detachPropagationMs: 3000 });
  source = h.client(SOURCE);
  target = h.client(TARGET);
  human = h.client(TARGET_HUMAN);
  stranger = h.client(STRANGER);
});
afterAll(() => h.close());

/** An INACTIVE, detached certificate of the source account: ready to transfer. */
async function transferable(client = source): Promise<{ certificateId: string; certificateArn: string }> {
  clock.advance(1000);
  const c = await client.send(new CreateKeysAndCertificateCommand({ setAsActive: false }));
  return { certificateId: c.certificateId!, certificateArn: c.certificateArn! };
}

async function pending(message = 'for you'): Promise<{ certificateId: string; certificateArn: string }> {
  const c = await transferable();
  await source.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: TARGET, transferMessage: message }));
  return c;
}

const describeAs = async (client: IoTClient, certificateId: string) => (await client.send(new DescribeCertificateCommand({ certificateId }))).certificateDescription!;
const listIds = async (client: IoTClient) =>
  (
    await allPages(
      (marker) => client.send(new ListCertificatesCommand({ pageSize: 250, marker })),
      (p) => p.certificates,
    )
  ).flat();

describe('TransferCertificate preconditions', () => {
  it('refuses an ACTIVE certificate (CertificateStateException 406)', async () => {
    clock.advance(1000);
    const c = await source.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const err = await expectAwsError(source.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: TARGET })), 'CertificateStateException', 406);
    expect(err.message).toMatch(/ACTIVE/);
  });

  it('refuses a REVOKED certificate (CertificateStateException)', async () => {
    const c = await transferable();
    await source.send(new UpdateCertificateCommand({ certificateId: c.certificateId, newStatus: 'REVOKED' }));
    await expectAwsError(source.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: TARGET })), 'CertificateStateException', 406);
  });

  it('refuses while a policy is attached (TransferConflictException 409)', async () => {
    const c = await transferable();
    await source.send(new CreatePolicyCommand({ policyName: 'tp-1', policyDocument: ALLOW_ALL_POLICY }));
    await source.send(new AttachPolicyCommand({ policyName: 'tp-1', target: c.certificateArn }));
    await expectAwsError(source.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: TARGET })), 'TransferConflictException', 409);
    await source.send(new DetachPolicyCommand({ policyName: 'tp-1', target: c.certificateArn }));
    await source.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: TARGET }));
  });

  it('refuses while a thing is attached (TransferConflictException 409)', async () => {
    const c = await transferable();
    await source.send(new CreateThingCommand({ thingName: 'tt-1' }));
    await source.send(new AttachThingPrincipalCommand({ thingName: 'tt-1', principal: c.certificateArn }));
    await expectAwsError(source.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: TARGET })), 'TransferConflictException', 409);
  });

  it('validates the target account and the message (InvalidRequestException 400)', async () => {
    const c = await transferable();
    await expectAwsError(source.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: SOURCE })), 'InvalidRequestException', 400);
    await expectAwsError(source.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: '12345' })), 'InvalidRequestException', 400);
    await expectAwsError(source.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: TARGET, transferMessage: 'x'.repeat(129) })), 'InvalidRequestException', 400);
    await expectAwsError(source.send(new TransferCertificateCommand({ certificateId: 'nothex', targetAwsAccount: TARGET })), 'InvalidRequestException', 400);
  });

  it('only the owner can transfer (ResourceNotFoundException for anyone else)', async () => {
    const c = await transferable();
    await expectAwsError(stranger.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: TARGET })), 'ResourceNotFoundException', 404);
    await expectAwsError(source.send(new TransferCertificateCommand({ certificateId: '0'.repeat(64), targetAwsAccount: TARGET })), 'ResourceNotFoundException', 404);
  });
});

describe('while a transfer is pending', () => {
  it('the source sees PENDING_TRANSFER with the transfer data and lists it as outgoing', async () => {
    const c = await pending('hello 222');
    const d = await describeAs(source, c.certificateId);
    expect(d).toMatchObject({ status: 'PENDING_TRANSFER', ownedBy: SOURCE, transferData: { transferMessage: 'hello 222' } });
    expect(d.transferData!.transferDate!.getTime()).toBe(clock.ms);
    const out = await allPages(
      (marker) => source.send(new ListOutgoingCertificatesCommand({ marker })),
      (p) => p.outgoingCertificates,
    );
    expect(out.flat()).toContainEqual({
      certificateArn: c.certificateArn,
      certificateId: c.certificateId,
      transferredTo: TARGET,
      transferDate: new Date(clock.ms),
      transferMessage: 'hello 222',
      creationDate: d.creationDate,
    });
  });

  it('the target sees it in ListCertificates and DescribeCertificate as PENDING_TRANSFER; other accounts do not', async () => {
    const c = await pending();
    const listed = await listIds(target);
    expect(listed).toContainEqual(expect.objectContaining({ certificateId: c.certificateId, status: 'PENDING_TRANSFER', certificateArn: c.certificateArn }));
    expect(await describeAs(target, c.certificateId)).toMatchObject({ status: 'PENDING_TRANSFER', ownedBy: SOURCE });
    expect((await listIds(human)).map((x) => x.certificateId)).not.toContain(c.certificateId);
    await expectAwsError(human.send(new DescribeCertificateCommand({ certificateId: c.certificateId })), 'ResourceNotFoundException', 404);
  });

  it('the certificate cannot be transferred again, updated or deleted (CertificateStateException 406)', async () => {
    const c = await pending();
    await expectAwsError(source.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: TARGET_HUMAN })), 'CertificateStateException', 406);
    await expectAwsError(source.send(new UpdateCertificateCommand({ certificateId: c.certificateId, newStatus: 'ACTIVE' })), 'CertificateStateException', 406);
    await expectAwsError(target.send(new UpdateCertificateCommand({ certificateId: c.certificateId, newStatus: 'ACTIVE' })), 'CertificateStateException', 406);
    await expectAwsError(source.send(new DeleteCertificateCommand({ certificateId: c.certificateId })), 'CertificateStateException', 406);
  });

  it('only the target may accept or reject, only the source may cancel', async () => {
    const c = await pending();
    await expectAwsError(source.send(new AcceptCertificateTransferCommand({ certificateId: c.certificateId })), 'UnauthorizedException', 401);
    await expectAwsError(source.send(new RejectCertificateTransferCommand({ certificateId: c.certificateId })), 'UnauthorizedException', 401);
    await expectAwsError(target.send(new CancelCertificateTransferCommand({ certificateId: c.certificateId })), 'UnauthorizedException', 401);
    await expectAwsError(stranger.send(new AcceptCertificateTransferCommand({ certificateId: c.certificateId })), 'ResourceNotFoundException', 404);
    await expectAwsError(stranger.send(new RejectCertificateTransferCommand({ certificateId: c.certificateId })), 'ResourceNotFoundException', 404);
    await expectAwsError(stranger.send(new CancelCertificateTransferCommand({ certificateId: c.certificateId })), 'ResourceNotFoundException', 404);
    expect((await describeAs(source, c.certificateId)).status).toBe('PENDING_TRANSFER');
  });

  it('ListOutgoingCertificates pages through several pending transfers', async () => {
    const other = h.client('999999999999');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await transferable(other);
      await other.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: TARGET }));
      ids.push(c.certificateId);
    }
    const pages = await allPages(
      (marker) => other.send(new ListOutgoingCertificatesCommand({ pageSize: 2, marker, ascendingOrder: true })),
      (p) => p.outgoingCertificates,
    );
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((o) => o.certificateId)).toEqual(ids);
    expect(pages.flat().every((o) => o.transferredTo === TARGET)).toBe(true);
  });
});

describe('AcceptCertificateTransfer', () => {
  it('moves the certificate to the target: owner, previous owner, ARN, ACTIVE with setAsActive, acceptDate', async () => {
    const c = await pending('take it');
    clock.advance(5000);
    await target.send(new AcceptCertificateTransferCommand({ certificateId: c.certificateId, setAsActive: true }));
    const d = await describeAs(target, c.certificateId);
    expect(d).toMatchObject({
      certificateArn: `arn:aws:iot:us-east-1:${TARGET}:cert/${c.certificateId}`,
      status: 'ACTIVE',
      ownedBy: TARGET,
      previousOwnedBy: SOURCE,
      transferData: { transferMessage: 'take it' },
    });
    expect(d.transferData!.acceptDate!.getTime()).toBe(clock.ms);
    expect(d.transferData!.transferDate!.getTime()).toBe(clock.ms - 5000);
  });

  it('leaves the certificate INACTIVE without setAsActive', async () => {
    const c = await pending();
    await target.send(new AcceptCertificateTransferCommand({ certificateId: c.certificateId }));
    expect((await describeAs(target, c.certificateId)).status).toBe('INACTIVE');
  });

  it('after acceptance the source no longer sees it, and a cancel answers TransferAlreadyCompletedException (410)', async () => {
    const c = await pending();
    await target.send(new AcceptCertificateTransferCommand({ certificateId: c.certificateId, setAsActive: true }));
    await expectAwsError(source.send(new DescribeCertificateCommand({ certificateId: c.certificateId })), 'ResourceNotFoundException', 404);
    expect((await listIds(source)).map((x) => x.certificateId)).not.toContain(c.certificateId);
    const outgoing = await allPages(
      (marker) => source.send(new ListOutgoingCertificatesCommand({ marker })),
      (p) => p.outgoingCertificates,
    );
    expect(outgoing.flat().map((o) => o.certificateId)).not.toContain(c.certificateId);
    await expectAwsError(source.send(new CancelCertificateTransferCommand({ certificateId: c.certificateId })), 'TransferAlreadyCompletedException', 410);
    await expectAwsError(target.send(new AcceptCertificateTransferCommand({ certificateId: c.certificateId })), 'TransferAlreadyCompletedException', 410);
    await expectAwsError(target.send(new RejectCertificateTransferCommand({ certificateId: c.certificateId })), 'TransferAlreadyCompletedException', 410);
  });

  it('the new owner attaches its own policies and things; the old ARN is gone from the source', async () => {
    const c = await pending();
    await target.send(new AcceptCertificateTransferCommand({ certificateId: c.certificateId, setAsActive: true }));
    const newArn = `arn:aws:iot:us-east-1:${TARGET}:cert/${c.certificateId}`;
    await target.send(new CreatePolicyCommand({ policyName: 'target-policy', policyDocument: ALLOW_ALL_POLICY }));
    await target.send(new AttachPolicyCommand({ policyName: 'target-policy', target: newArn }));
    await target.send(new CreateThingCommand({ thingName: 'target-thing' }));
    await target.send(new AttachThingPrincipalCommand({ thingName: 'target-thing', principal: newArn, thingPrincipalType: 'EXCLUSIVE_THING' }));
    await source.send(new CreatePolicyCommand({ policyName: 'source-policy', policyDocument: ALLOW_ALL_POLICY }));
    await expectAwsError(source.send(new AttachPolicyCommand({ policyName: 'source-policy', target: c.certificateArn })), 'ResourceNotFoundException', 404);
    expect(h.model.findCertificate(c.certificateId)).toMatchObject({ ownedBy: TARGET, policies: ['target-policy'], things: [{ thingName: 'target-thing', thingPrincipalType: 'EXCLUSIVE_THING' }] });
  });

  it('can go back: the target transfers it to the original owner, who accepts', async () => {
    const c = await pending();
    await target.send(new AcceptCertificateTransferCommand({ certificateId: c.certificateId }));
    await target.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: SOURCE }));
    await source.send(new AcceptCertificateTransferCommand({ certificateId: c.certificateId }));
    expect(await describeAs(source, c.certificateId)).toMatchObject({ ownedBy: SOURCE, previousOwnedBy: TARGET, status: 'INACTIVE', certificateArn: c.certificateArn });
  });
});

describe('RejectCertificateTransfer', () => {
  it('returns the certificate to the source INACTIVE with the reason and reject date', async () => {
    const c = await pending('want it?');
    clock.advance(2000);
    await target.send(new RejectCertificateTransferCommand({ certificateId: c.certificateId, rejectReason: 'not ours' }));
    const d = await describeAs(source, c.certificateId);
    expect(d).toMatchObject({ status: 'INACTIVE', ownedBy: SOURCE, transferData: { transferMessage: 'want it?', rejectReason: 'not ours' } });
    expect(d.previousOwnedBy).toBeUndefined();
    expect(d.transferData!.rejectDate!.getTime()).toBe(clock.ms);
    await expectAwsError(target.send(new DescribeCertificateCommand({ certificateId: c.certificateId })), 'ResourceNotFoundException', 404);
  });

  it('a decision after the rejection answers TransferAlreadyCompletedException', async () => {
    const c = await pending();
    await target.send(new RejectCertificateTransferCommand({ certificateId: c.certificateId }));
    await expectAwsError(target.send(new AcceptCertificateTransferCommand({ certificateId: c.certificateId })), 'TransferAlreadyCompletedException', 410);
    await expectAwsError(source.send(new CancelCertificateTransferCommand({ certificateId: c.certificateId })), 'TransferAlreadyCompletedException', 410);
  });

  it('limits the reason to 128 characters', async () => {
    const c = await pending();
    await expectAwsError(target.send(new RejectCertificateTransferCommand({ certificateId: c.certificateId, rejectReason: 'r'.repeat(129) })), 'InvalidRequestException', 400);
    expect((await describeAs(source, c.certificateId)).status).toBe('PENDING_TRANSFER');
  });
});

describe('CancelCertificateTransfer', () => {
  it('returns the certificate INACTIVE to the source; the target no longer sees it and can no longer accept', async () => {
    const c = await pending();
    await source.send(new CancelCertificateTransferCommand({ certificateId: c.certificateId }));
    expect(await describeAs(source, c.certificateId)).toMatchObject({ status: 'INACTIVE', ownedBy: SOURCE });
    await expectAwsError(target.send(new DescribeCertificateCommand({ certificateId: c.certificateId })), 'ResourceNotFoundException', 404);
    expect((await listIds(target)).map((x) => x.certificateId)).not.toContain(c.certificateId);
    await expectAwsError(target.send(new AcceptCertificateTransferCommand({ certificateId: c.certificateId })), 'TransferAlreadyCompletedException', 410);
    await expectAwsError(source.send(new CancelCertificateTransferCommand({ certificateId: c.certificateId })), 'TransferAlreadyCompletedException', 410);
  });

  it('lets the source start a new transfer afterwards, to another account', async () => {
    const c = await pending();
    await source.send(new CancelCertificateTransferCommand({ certificateId: c.certificateId }));
    await source.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: TARGET_HUMAN }));
    expect(await describeAs(human, c.certificateId)).toMatchObject({ status: 'PENDING_TRANSFER' });
    await human.send(new AcceptCertificateTransferCommand({ certificateId: c.certificateId, setAsActive: true }));
    expect(await describeAs(human, c.certificateId)).toMatchObject({ ownedBy: TARGET_HUMAN, previousOwnedBy: SOURCE, status: 'ACTIVE' });
  });
});

describe('decisions on a certificate that is not pending', () => {
  it('InvalidRequestException for the owner of a never-transferred certificate, ResourceNotFoundException for unknown ids', async () => {
    const c = await transferable();
    await expectAwsError(source.send(new CancelCertificateTransferCommand({ certificateId: c.certificateId })), 'InvalidRequestException', 400);
    await expectAwsError(source.send(new AcceptCertificateTransferCommand({ certificateId: c.certificateId })), 'InvalidRequestException', 400);
    await expectAwsError(target.send(new AcceptCertificateTransferCommand({ certificateId: c.certificateId })), 'ResourceNotFoundException', 404);
    await expectAwsError(target.send(new RejectCertificateTransferCommand({ certificateId: '9'.repeat(64) })), 'ResourceNotFoundException', 404);
    await expectAwsError(target.send(new AcceptCertificateTransferCommand({ certificateId: 'short' })), 'InvalidRequestException', 400);
  });
});

describe('asynchronous detach propagation', () => {
  it('a just-detached thing still blocks TransferCertificate until the propagation delay has passed', async () => {
    const c = await transferable();
    await source.send(new CreateThingCommand({ thingName: 'prop-thing' }));
    await source.send(new AttachThingPrincipalCommand({ thingName: 'prop-thing', principal: c.certificateArn }));
    await source.send(new DetachThingPrincipalCommand({ thingName: 'prop-thing', principal: c.certificateArn }));
    await expectAwsError(source.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: TARGET })), 'TransferConflictException', 409);
    clock.advance(2999);
    await expectAwsError(source.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: TARGET })), 'TransferConflictException', 409);
    clock.advance(1);
    await source.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: TARGET }));
    expect((await describeAs(target, c.certificateId)).status).toBe('PENDING_TRANSFER');
  });

  it('without the option, a detach is visible to TransferCertificate at once', async () => {
    const now = await startIot();
    try {
      const iot = now.client(SOURCE);
      const c = await iot.send(new CreateKeysAndCertificateCommand({}));
      await iot.send(new CreateThingCommand({ thingName: 't' }));
      await iot.send(new AttachThingPrincipalCommand({ thingName: 't', principal: c.certificateArn }));
      await iot.send(new DetachThingPrincipalCommand({ thingName: 't', principal: c.certificateArn }));
      const out = await iot.send(new TransferCertificateCommand({ certificateId: c.certificateId, targetAwsAccount: TARGET }));
      expect(out.transferredCertificateArn).toBe(c.certificateArn);
    } finally {
      await now.close();
    }
  });
});
