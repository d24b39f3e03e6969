// Assertions on a device certificate's state in IoT, shared by the end-to-end tests
// (kept apart from cloud.ts, which bench scripts import outside the test runner).
import { DescribeCertificateCommand, ListAttachedPoliciesCommand, ListPrincipalThingsV2Command, type IoTClient } from '@aws-sdk/client-iot';
import { expect } from 'vitest';
import type { DeviceCertificate } from './cloud.js';

/** The certificate is in the source as it was made: ACTIVE, with exactly its policies and things. */
export async function expectCertificateAsMade(iot: IoTClient, cert: DeviceCertificate): Promise<void> {
  const d = await iot.send(new DescribeCertificateCommand({ certificateId: cert.certificateId }));
  expect(d.certificateDescription?.status).toBe('ACTIVE');
  const policies = await iot.send(new ListAttachedPoliciesCommand({ target: cert.certificateArn }));
  expect(policies.policies?.map((p) => p.policyName).sort()).toEqual([...cert.policies].sort());
  const things = await iot.send(new ListPrincipalThingsV2Command({ principal: cert.certificateArn }));
  expect(things.principalThingObjects?.map((p) => p.thingName).sort()).toEqual([...cert.things].sort());
}
