// The shapes of the ids the service reads, one source for the API's path and query checks, the
// request schemas, the trigger, the ping and the CLI. Patterns as strings (JSON Schema) and as RegExps.

/** Ids this service makes: transfers, batches and pings are all lowercase UUIDs (`randomUUID`, or `idFrom`'s name-based UUID). */
export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
/** An IoT certificate id: 64 hexadecimal characters (the last part of its ARN). */
export const CERTIFICATE_ID_PATTERN = '^[0-9a-fA-F]{64}$';
/** An AWS account id: 12 digits. */
export const ACCOUNT_ID_PATTERN = '^[0-9]{12}$';

/** A transfer, batch or ping id. */
export const UUID = new RegExp(UUID_PATTERN);
export const CERTIFICATE_ID = new RegExp(CERTIFICATE_ID_PATTERN);
export const ACCOUNT_ID = new RegExp(ACCOUNT_ID_PATTERN);
