/**
 * Read helpers for the console and the runner, across accounts and regions: which accounts hold state,
 * one certificate or all of them with attachments and latest transfer (no quotas, faults or counting).
 */
import { date, transferDataOut } from './certificates.js';
import { compare } from './pagination.js';
import { modeOf, type CertRecord, type TransferOutcome } from './registry.js';
import type { IotState } from './state.js';
import type { CertificateMode, CertificateStatus, ThingPrincipalType, TransferData } from './types.js';

/** What the console shows for one certificate, across accounts. */
export interface CertificateOverview {
  region: string;
  certificateId: string;
  certificateArn: string;
  ownedBy: string;
  status: CertificateStatus;
  certificateMode: CertificateMode;
  previousOwnedBy?: string;
  pendingTransferTo?: string;
  creationDate: Date;
  lastModifiedDate: Date;
  transferData?: TransferData;
  policies: string[];
  things: { thingName: string; thingPrincipalType: ThingPrincipalType }[];
  lastTransfer?: { source: string; target: string; state: TransferOutcome; transferMessage?: string; transferDate: Date; endDate?: Date };
}

/** Accounts (with their regions) that hold any IoT state. */
export function listAccounts(s: IotState): { account: string; region: string }[] {
  const seen = new Set<string>();
  for (const key of s.accounts.keys()) seen.add(key);
  for (const [region, r] of s.regions) for (const c of r.certificates.all()) seen.add(`${c.owner}|${region}`);
  return [...seen].sort().map((k) => {
    const [account, region] = k.split('|');
    return { account, region };
  });
}

/**
 * One certificate, whoever owns it, with its attachments and latest transfer. A certificate
 * registered in several accounts (SNI_ONLY): the copy `account` owns or is offered, else the first.
 */
export function findCertificate(s: IotState, certificateId: string, region?: string, account?: string): CertificateOverview | undefined {
  for (const [name, r] of s.regions) {
    if (region && name !== region) continue;
    const cert = (account ? r.certificates.visible(certificateId, account) : undefined) ?? r.certificates.copies(certificateId)[0];
    if (cert) return overview(s, name, cert);
  }
  return undefined;
}

/** Every certificate of every account, newest first; optionally one account's (owned or incoming) or one region's. */
export function listAllCertificates(s: IotState, filter: { account?: string; region?: string } = {}): CertificateOverview[] {
  const out: CertificateOverview[] = [];
  for (const [name, r] of s.regions) {
    if (filter.region && name !== filter.region) continue;
    for (const cert of r.certificates.all()) {
      if (filter.account && cert.owner !== filter.account && cert.pendingTransferTo !== filter.account) continue;
      out.push(overview(s, name, cert));
    }
  }
  return out.sort((a, b) => b.creationDate.getTime() - a.creationDate.getTime() || compare(a.certificateId, b.certificateId));
}

function overview(s: IotState, region: string, cert: CertRecord): CertificateOverview {
  const acct = s.accounts.get(`${cert.owner}|${region}`);
  const arn = s.certArn(region, cert);
  const last = cert.lastTransfer;
  return {
    region,
    certificateId: cert.certificateId,
    certificateArn: arn,
    ownedBy: cert.owner,
    status: cert.status,
    certificateMode: modeOf(cert),
    previousOwnedBy: cert.previousOwnedBy,
    pendingTransferTo: cert.pendingTransferTo,
    creationDate: new Date(cert.creationDate),
    lastModifiedDate: new Date(cert.lastModifiedDate),
    transferData: cert.transferData ? transferDataOut(cert.transferData) : undefined,
    policies: [...(acct?.targetPolicies.get(arn) ?? [])].sort(compare),
    things: [...(acct?.principalThings.get(arn) ?? [])].sort((a, b) => compare(a[0], b[0])).map(([thingName, thingPrincipalType]) => ({ thingName, thingPrincipalType })),
    lastTransfer: last
      ? { source: last.source, target: last.target, state: last.state, transferMessage: last.transferMessage, transferDate: new Date(last.transferDate), endDate: date(last.endDate) }
      : undefined,
  };
}
