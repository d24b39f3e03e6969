/**
 * The AWS errors the EventBridge model throws, by their AWS name (all HTTP 400; the wire layer
 * serializes them as `{"__type", "message"}`).
 */
import { AwsError } from '../edge/types.js';

export function validation(message: string): AwsError {
  return new AwsError('ValidationException', message);
}

export function notFound(message: string): AwsError {
  return new AwsError('ResourceNotFoundException', message);
}

export function alreadyExists(message: string): AwsError {
  return new AwsError('ResourceAlreadyExistsException', message);
}

export function accessDenied(message: string): AwsError {
  return new AwsError('AccessDeniedException', message);
}

export function limitExceeded(message: string): AwsError {
  return new AwsError('LimitExceededException', message);
}
