/**
 * The certificates of one region: a DEFAULT-mode certificate exists once, an SNI_ONLY one (registered
 * without a CA) once per account (multi-account registration). Each copy keeps its latest transfer.
 */
import type { CertificateMode, CertificateStatus } from './types.js';

export interface TransferState {
  transferMessage?: string;
  rejectReason?: string;
  transferDate?: number;
  acceptDate?: number;
  rejectDate?: number;
}

export type TransferOutcome = 'PENDING' | 'ACCEPTED' | 'REJECTED' | 'CANCELLED';

/** The latest transfer of a certificate, kept after it ends to answer TransferAlreadyCompletedException. */
export interface TransferRecord {
  certificateId: string;
  source: string;
  target: string;
  state: TransferOutcome;
  transferMessage?: string;
  transferDate: number;
  endDate?: number;
}

/** One registration of a certificate, in the account that owns it (plain data: snapshots serialise it as it is). */
export interface CertRecord {
  certificateId: string;
  certificatePem: string;
  owner: string;
  status: CertificateStatus;
  /** Absent in snapshots written before modes existed: DEFAULT. */
  certificateMode?: CertificateMode;
  creationDate: number;
  lastModifiedDate: number;
  customerVersion: number;
  generationId: string;
  previousOwnedBy?: string;
  notBefore: number;
  notAfter: number;
  transferData?: TransferState;
  /** Set while PENDING_TRANSFER. */
  pendingTransferTo?: string;
  /** The latest transfer of this copy (kept after it ends). */
  lastTransfer?: TransferRecord;
}

export const modeOf = (c: CertRecord): CertificateMode => c.certificateMode ?? 'DEFAULT';

/**
 * Every copy of every certificate of a region, by certificate id. The model
 * keeps one invariant: an account sees at most one copy of a certificate id,
 * whether it owns it or it is pending transfer to it.
 */
export class CertificateRegistry {
  private readonly byId = new Map<string, CertRecord[]>();

  /** Every copy (a certificate registered in two accounts appears twice). */
  *all(): IterableIterator<CertRecord> {
    for (const copies of this.byId.values()) yield* copies;
  }

  copies(certificateId: string): readonly CertRecord[] {
    return this.byId.get(certificateId) ?? [];
  }

  /** The copy `account` owns. */
  owned(certificateId: string, account: string): CertRecord | undefined {
    return this.copies(certificateId).find((c) => c.owner === account);
  }

  /** The copy `account` can see: owned, or pending transfer to it. */
  visible(certificateId: string, account: string): CertRecord | undefined {
    return this.copies(certificateId).find((c) => c.owner === account || c.pendingTransferTo === account);
  }

  add(cert: CertRecord): void {
    const copies = this.byId.get(cert.certificateId);
    if (copies) copies.push(cert);
    else this.byId.set(cert.certificateId, [cert]);
  }

  remove(cert: CertRecord): void {
    const copies = this.byId.get(cert.certificateId)?.filter((c) => c !== cert) ?? [];
    if (copies.length > 0) this.byId.set(cert.certificateId, copies);
    else this.byId.delete(cert.certificateId);
  }

  clear(): void {
    this.byId.clear();
  }
}
