/**
 * IoT errors: the error class (AWS name, HTTP status, extra members), one constructor per error that
 * operations, throttles and injected faults raise, and the status of every error name.
 */
import { AwsError } from '../edge/types.js';

/** An IoT error; `fields` are extra members of the error shape (e.g. resourceId, resourceArn). */
export class IotError extends AwsError {
  constructor(
    code: string,
    message: string,
    status: number,
    readonly fields: Record<string, string> = {},
  ) {
    super(code, message, status);
  }
}

export const invalid = (message: string): IotError => new IotError('InvalidRequestException', message, 400);
export const notFound = (message = 'The specified resource does not exist.'): IotError => new IotError('ResourceNotFoundException', message, 404);
export const unauthorized = (message: string): IotError => new IotError('UnauthorizedException', message, 401);
export const certState = (message: string): IotError => new IotError('CertificateStateException', message, 406);
export const transferConflict = (message: string): IotError => new IotError('TransferConflictException', message, 409);
export const deleteConflict = (message: string): IotError => new IotError('DeleteConflictException', message, 409);
export const alreadyExists = (message: string, fields: Record<string, string> = {}): IotError => new IotError('ResourceAlreadyExistsException', message, 409, fields);
export const transferCompleted = (): IotError => new IotError('TransferAlreadyCompletedException', "You can't revert the certificate transfer because the transfer is already complete.", 410);
export const malformedPolicy = (message: string): IotError => new IotError('MalformedPolicyException', message, 400);
export const versionConflict = (message: string): IotError => new IotError('VersionConflictException', message, 409);
export const limitExceeded = (message: string): IotError => new IotError('LimitExceededException', message, 410);

/** What an empty token bucket answers (also one of the injected faults). */
export const rateExceeded = (): IotError => new IotError('ThrottlingException', 'Rate exceeded', 400);
export const serviceUnavailable = (): IotError => new IotError('ServiceUnavailableException', 'Service is unavailable, please retry.', 503);
export const internalFailure = (): IotError => new IotError('InternalFailureException', 'An unexpected error has occurred.', 500);

/** Status codes of every error name the emulator can produce (the SDK's error shapes). */
export const IOT_ERROR_STATUS: Readonly<Record<string, number>> = {
  InvalidRequestException: 400,
  ThrottlingException: 400,
  MalformedPolicyException: 400,
  CertificateValidationException: 400,
  UnauthorizedException: 401,
  ResourceNotFoundException: 404,
  CertificateStateException: 406,
  TransferConflictException: 409,
  ResourceAlreadyExistsException: 409,
  DeleteConflictException: 409,
  VersionConflictException: 409,
  TransferAlreadyCompletedException: 410,
  LimitExceededException: 410,
  InternalFailureException: 500,
  ServiceUnavailableException: 503,
};
