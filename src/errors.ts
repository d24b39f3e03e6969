/**
 * Typed domain errors. Each carries the HTTP status the API edge maps it to
 * (in one place: `src/http.ts`) and, where one exists, the error that caused it.
 * The `name` is what Step Functions sees as the error type of a failed step.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A request field is missing or malformed. */
export class ValidationError extends DomainError {
  readonly status = 400;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export class TargetNotAllowed extends DomainError {
  readonly status = 403;
  readonly field = 'targetAccount';
}

export class CertificateNotFound extends DomainError {
  readonly status = 404;
  readonly field = 'certificateId';
}

export class TransferNotFound extends DomainError {
  readonly status = 404;
  readonly field = 'transferId';
}

export class BatchNotFound extends DomainError {
  readonly status = 404;
  readonly field = 'batchId';
}

/** The certificate's status forbids a transfer (REVOKED, PENDING_TRANSFER …). */
export class CertificateNotTransferable extends DomainError {
  readonly status = 409;
  readonly field = 'certificateId';
}

/** Another transfer of this certificate is still open. */
export class TransferInProgress extends DomainError {
  readonly status = 409;
  readonly field = 'certificateId';
  constructor(
    message: string,
    readonly openTransferId: string,
  ) {
    super(message);
  }
}

/** The transfer is not in a status that allows the operation (e.g. cancel). */
export class TransferStateConflict extends DomainError {
  readonly status = 409;
  constructor(
    message: string,
    readonly currentStatus: string,
  ) {
    super(message);
  }
}

/** An offer event could not be delivered to the target account's bus. */
export class OfferDeliveryFailed extends DomainError {
  readonly status = 502;
}

/** A step met IoT state it cannot work with; carries the IoT error as cause. */
export class CertificateStateError extends DomainError {
  readonly status = 409;
}

/**
 * CancelCertificateTransfer did not withdraw the offer and IoT may still show
 * the certificate PENDING_TRANSFER: nothing may be restored on top of it.
 */
export class TransferNotWithdrawn extends DomainError {
  readonly status = 409;
}

/**
 * Restore ran out of time with transient IoT failures left (throttling, 5xx,
 * conflicts): its partial result is saved; the state machine runs it again
 * with minutes of patience, and the repair answers 502 with the result.
 */
export class RestoreIncomplete extends DomainError {
  readonly status = 502;
}

/** A cancel could not be handed to the waiting workflow; nothing changed, it can be sent again. */
export class CancelNotDelivered extends DomainError {
  readonly status = 503;
}

/** Starting the workflow failed after the transfer was recorded. */
export class WorkflowStartFailed extends DomainError {
  readonly status = 503;
}

/** Name of an AWS SDK error, or undefined. */
export function awsErrorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

/** A DynamoDB write refused by its condition: the item was not as the write expected. */
export const isConditionFailure = (err: unknown) => awsErrorName(err) === 'ConditionalCheckFailedException';

/** Waits for a conditional write whose refusal is an expected answer (the item is not, or no longer, as the write requires). */
export async function unlessConditionFails(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (err) {
    if (!isConditionFailure(err)) throw err;
  }
}
