/**
 * Input checks shared by the operations: ids, names and ARNs by their AWS patterns, required and
 * bounded members, page sizes, enumerations; each failure is an InvalidRequestException.
 */
import { invalid } from './errors.js';
import { CERTIFICATE_STATUSES, THING_PRINCIPAL_TYPES, type CertificateStatus, type ThingPrincipalType } from './types.js';

const CERT_ID = /^(0x)?[a-fA-F0-9]+$/;
const POLICY_NAME = /^[\w+=,.@-]+$/;
const THING_NAME = /^[a-zA-Z0-9:_-]+$/;
export const CERT_ARN = /^arn:aws[a-z-]*:iot:([a-z0-9-]+):(\d{12}):cert\/([a-fA-F0-9]{64})$/;

export function certificateIdOf(id: string | undefined): string {
  if (id === undefined || id === '') throw invalid('certificateId is required.');
  if (id.length !== 64 || !CERT_ID.test(id)) throw invalid(`Invalid certificateId: ${id}. It must be 64 hexadecimal characters.`);
  return id;
}

export function policyNameOf(name: string | undefined): string {
  if (!name) throw invalid('policyName is required.');
  if (name.length > 128 || !POLICY_NAME.test(name)) throw invalid(`Invalid policyName: ${name}`);
  return name;
}

export function thingNameOf(name: string | undefined): string {
  if (!name) throw invalid('thingName is required.');
  if (name.length > 128 || !THING_NAME.test(name)) throw invalid(`Invalid thingName: ${name}`);
  return name;
}

export function required(value: string | undefined, member: string): string {
  if (value === undefined || value === '') throw invalid(`${member} is required.`);
  return value;
}

export function maxLength(value: string | undefined, max: number, member: string): void {
  if (value !== undefined && value.length > max) throw invalid(`${member} must be at most ${max} characters.`);
}

export function pageSizeOf(value: number | undefined, fallback: number, member: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > 250) throw invalid(`${member} must be between 1 and 250.`);
  return value;
}

export function statusOf(value: string | undefined, member: string): CertificateStatus {
  const v = required(value, member);
  if (!(CERTIFICATE_STATUSES as readonly string[]).includes(v)) throw invalid(`Invalid ${member}: ${v}`);
  return v as CertificateStatus;
}

export function principalTypeOf(value: string | undefined): ThingPrincipalType | undefined {
  if (value === undefined || value === '') return undefined;
  if (!(THING_PRINCIPAL_TYPES as readonly string[]).includes(value)) throw invalid(`Invalid thingPrincipalType: ${value}`);
  return value as ThingPrincipalType;
}
