// Certificates set up straight in the IoT model (no quotas, latency or faults): large fleets and
// certificates with 1,000 things in seconds, for chaos runs and tests that are not about set-up.
import type { IotModel } from '../../local/iot/model.js';
import type { DeviceCertificate } from './cloud.js';

export interface ModelCertificateOptions {
  policies?: number;
  things?: number;
  /** Thing names padded to this length (AWS allows 128). Default: short names. */
  thingNameLength?: number;
  /** The first thing is attached as EXCLUSIVE_THING. */
  exclusive?: boolean;
}

export interface ModelCertificate extends DeviceCertificate {
  /** The things attached as EXCLUSIVE_THING. */
  exclusiveThings: string[];
}

const POLICY_DOCUMENT = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });

/** An ACTIVE certificate with its policies and things, made in `account` directly in the model. */
export async function makeModelCertificate(model: IotModel, account: string, region: string, opts: ModelCertificateOptions = {}): Promise<ModelCertificate> {
  const ctx = { account, region };
  const cert = await model.createKeysAndCertificate(ctx, { setAsActive: true });
  const id = cert.certificateId!;
  const arn = cert.certificateArn!;
  const policies: string[] = [];
  for (let i = 0; i < (opts.policies ?? 1); i++) {
    const policyName = `device-policy-${id.slice(0, 10)}-${i}`;
    model.createPolicy(ctx, { policyName, policyDocument: POLICY_DOCUMENT });
    model.attachPolicy(ctx, { policyName, target: arn });
    policies.push(policyName);
  }
  const things: string[] = [];
  const exclusiveThings: string[] = [];
  for (let i = 0; i < (opts.things ?? 1); i++) {
    const prefix = `device-${id.slice(0, 12)}-${String(i).padStart(5, '0')}`;
    const thingName = opts.thingNameLength ? `${prefix}-`.padEnd(opts.thingNameLength, 'x') : prefix;
    const exclusive = opts.exclusive === true && i === 0;
    model.createThing(ctx, { thingName });
    model.attachThingPrincipal(ctx, { thingName, principal: arn, thingPrincipalType: exclusive ? 'EXCLUSIVE_THING' : 'NON_EXCLUSIVE_THING' });
    things.push(thingName);
    if (exclusive) exclusiveThings.push(thingName);
  }
  return { certificateId: id, certificateArn: arn, policies, things, exclusiveThings };
}

/** What IoT shows of a certificate in `account`, read from the model (no quotas or faults). */
export function modelView(model: IotModel, account: string, region: string, certificateId: string, certificateArn: string) {
  const ctx = { account, region };
  let description: { status?: string; ownedBy?: string } | undefined;
  try {
    description = model.describeCertificate(ctx, { certificateId }).certificateDescription;
  } catch {
    return undefined;
  }
  const all = <T>(page: (token?: string) => { items: T[]; next?: string }) => {
    const out: T[] = [];
    let token: string | undefined;
    do {
      let p: { items: T[]; next?: string };
      try {
        p = page(token);
      } catch {
        return out; // not the account's own certificate (an offer in the target's inbox)
      }
      out.push(...p.items);
      token = p.next;
    } while (token);
    return out;
  };
  const policies = all((nextMarker) => {
    const r = model.listAttachedPolicies(ctx, { target: certificateArn, pageSize: 250, marker: nextMarker });
    return { items: (r.policies ?? []).map((p) => p.policyName!), next: r.nextMarker };
  });
  const things = all((nextToken) => {
    const r = model.listPrincipalThingsV2(ctx, { principal: certificateArn, maxResults: 250, nextToken });
    return { items: r.principalThingObjects, next: r.nextToken };
  });
  return { status: description?.status, ownedBy: description?.ownedBy, policies: policies.sort(), things: things.sort((a, b) => a.thingName.localeCompare(b.thingName)) };
}
