import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CancelCertificateTransferCommand,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListOutgoingCertificatesCommand,
  ListPrincipalThingsV2Command,
  TransferCertificateCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { setSourceEnv } from '../support/env.js';
import { iotError } from '../support/iot-errors.js';
import { certArn, certId } from '../support/certs.js';

setSourceEnv();
const mock = mockClient(IoTClient);
const iot = await import('../../src/iot.js');
beforeEach(() => mock.reset());

const id = certId('iot-unit');
const arn = certArn(id);
const COMMON = ['InvalidRequestException', 'ThrottlingException', 'UnauthorizedException', 'ServiceUnavailableException', 'InternalFailureException'];

/*
 * Every exception the IoT API reference lists for each call the product makes,
 * and what the domain does with it: most propagate under their own name (the
 * state machine retries the transient ones); a few mean "already done".
 */
const TABLE: { call: string; command: unknown; run: () => Promise<unknown>; exceptions: string[]; handled: Record<string, unknown> }[] = [
  {
    call: 'DescribeCertificate',
    command: DescribeCertificateCommand,
    run: () => iot.describeCertificate(id),
    exceptions: [...COMMON, 'ResourceNotFoundException'],
    handled: { ResourceNotFoundException: undefined },
  },
  {
    call: 'ListAttachedPolicies',
    command: ListAttachedPoliciesCommand,
    run: () => iot.listAttachedPolicies(arn),
    exceptions: [...COMMON, 'ResourceNotFoundException', 'LimitExceededException'],
    handled: {},
  },
  { call: 'ListPrincipalThingsV2', command: ListPrincipalThingsV2Command, run: () => iot.listPrincipalThings(arn), exceptions: [...COMMON, 'ResourceNotFoundException'], handled: {} },
  {
    call: 'UpdateCertificate',
    command: UpdateCertificateCommand,
    run: () => iot.setCertificateStatus(id, 'INACTIVE'),
    exceptions: [...COMMON, 'ResourceNotFoundException', 'CertificateStateException'],
    handled: {},
  },
  {
    call: 'DetachPolicy',
    command: DetachPolicyCommand,
    run: () => iot.detachPolicy('P', arn),
    exceptions: [...COMMON, 'LimitExceededException', 'ResourceNotFoundException'],
    handled: { ResourceNotFoundException: 'ALREADY_DETACHED' },
  },
  {
    call: 'DetachThingPrincipal',
    command: DetachThingPrincipalCommand,
    run: () => iot.detachThing('T', arn),
    exceptions: [...COMMON, 'ResourceNotFoundException'],
    handled: { ResourceNotFoundException: 'ALREADY_DETACHED' },
  },
  { call: 'AttachPolicy', command: AttachPolicyCommand, run: () => iot.attachPolicy('P', arn), exceptions: [...COMMON, 'ResourceNotFoundException', 'LimitExceededException'], handled: {} },
  {
    call: 'AttachThingPrincipal',
    command: AttachThingPrincipalCommand,
    run: () => iot.attachThing({ thingName: 'T', thingPrincipalType: 'EXCLUSIVE_THING' }, arn),
    exceptions: [...COMMON, 'ResourceNotFoundException'],
    handled: {},
  },
  {
    call: 'TransferCertificate',
    command: TransferCertificateCommand,
    run: () => iot.transferCertificate(id, '222222222222'),
    exceptions: [...COMMON, 'ResourceNotFoundException', 'CertificateStateException', 'TransferConflictException'],
    handled: {},
  },
  {
    call: 'CancelCertificateTransfer',
    command: CancelCertificateTransferCommand,
    run: () => iot.cancelTransfer(id),
    exceptions: [...COMMON, 'ResourceNotFoundException', 'TransferAlreadyCompletedException'],
    handled: { TransferAlreadyCompletedException: 'ALREADY_COMPLETED' },
  },
  { call: 'ListOutgoingCertificates', command: ListOutgoingCertificatesCommand, run: () => iot.listOutgoingTransfers(), exceptions: COMMON, handled: {} },
];

describe.each(TABLE)('$call', ({ command, run, exceptions, handled }) => {
  it.each(exceptions)('%s', async (name) => {
    mock.on(command as never).rejects(iotError(name));
    if (name in handled) {
      await expect(run()).resolves.toEqual(handled[name]);
    } else {
      await expect(run()).rejects.toMatchObject({ name });
    }
  });
});

describe('pagination', () => {
  it('ListAttachedPolicies follows nextMarker across three pages', async () => {
    mock
      .on(ListAttachedPoliciesCommand)
      .resolvesOnce({ policies: [{ policyName: 'a' }], nextMarker: '1' })
      .resolvesOnce({ policies: [{ policyName: 'b' }], nextMarker: '2' })
      .resolvesOnce({ policies: [{ policyName: 'c' }] });
    await expect(iot.listAttachedPolicies(arn)).resolves.toEqual(['a', 'b', 'c']);
  });

  it('ListPrincipalThingsV2 follows nextToken and keeps each attachment type', async () => {
    mock
      .on(ListPrincipalThingsV2Command)
      .resolvesOnce({ principalThingObjects: [{ thingName: 'a', thingPrincipalType: 'EXCLUSIVE_THING' }], nextToken: 'n' })
      .resolvesOnce({ principalThingObjects: [{ thingName: 'b' }] });
    await expect(iot.listPrincipalThings(arn)).resolves.toEqual([
      { thingName: 'a', thingPrincipalType: 'EXCLUSIVE_THING' },
      { thingName: 'b', thingPrincipalType: 'NON_EXCLUSIVE_THING' },
    ]);
  });

  it('ListOutgoingCertificates follows nextMarker', async () => {
    mock
      .on(ListOutgoingCertificatesCommand)
      .resolvesOnce({ outgoingCertificates: [{ certificateId: 'x' }], nextMarker: 'm' })
      .resolvesOnce({ outgoingCertificates: [{ certificateId: 'y' }] });
    const all = await iot.listOutgoingTransfers();
    expect(all.map((c) => c.certificateId)).toEqual(['x', 'y']);
    expect(mock).toHaveReceivedNthCommandWith(ListOutgoingCertificatesCommand, 2, { marker: 'm' });
  });
});
