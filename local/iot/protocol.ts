/**
 * AWS IoT control plane, the wire layer (restJson1): routes, input read from labels, query, headers
 * and body as the SDK and the AWS CLI send them, the result or error written back; no IoT rules.
 */
import type { AwsRequest, AwsResponse, ServiceProvider } from '../edge/types.js';
import { AwsError } from '../edge/types.js';
import { IotError } from './errors.js';
import type { IotModel } from './model.js';
import type { IotInputs, IotOperation } from './types.js';

interface ParsedRequest {
  labels: Record<string, string>;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

interface Route {
  method: string;
  segments: string[];
  operation: IotOperation;
  parse(r: ParsedRequest): unknown;
}

const badInput = (message: string): IotError => new IotError('InvalidRequestException', message, 400);

// Readers: the wire is untyped, so each one checks the type it promises.

function qString(r: ParsedRequest, name: string): string | undefined {
  return r.query.get(name) ?? undefined;
}

function qInt(r: ParsedRequest, name: string): number | undefined {
  const v = r.query.get(name);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v)) throw badInput(`${name} must be an integer.`);
  return Number(v);
}

function qBool(r: ParsedRequest, name: string): boolean | undefined {
  const v = r.query.get(name);
  if (v === null) return undefined;
  if (v !== 'true' && v !== 'false') throw badInput(`${name} must be true or false.`);
  return v === 'true';
}

function bString(r: ParsedRequest, name: string): string | undefined {
  const v = r.body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badInput(`${name} must be a string.`);
  return v;
}

function bInt(r: ParsedRequest, name: string): number | undefined {
  const v = r.body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw badInput(`${name} must be an integer.`);
  return v;
}

function bBool(r: ParsedRequest, name: string): boolean | undefined {
  const v = r.body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badInput(`${name} must be a boolean.`);
  return v;
}

function bAttributePayload(r: ParsedRequest): { attributes?: Record<string, string>; merge?: boolean } | undefined {
  const v = r.body.attributePayload;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw badInput('attributePayload must be an object.');
  const { attributes, merge } = v as { attributes?: unknown; merge?: unknown };
  if (attributes !== undefined && (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes) || Object.values(attributes).some((x) => typeof x !== 'string'))) {
    throw badInput('attributePayload.attributes must map names to strings.');
  }
  if (merge !== undefined && typeof merge !== 'boolean') throw badInput('attributePayload.merge must be a boolean.');
  return { attributes: attributes as Record<string, string> | undefined, merge };
}

function bTags(r: ParsedRequest): { Key: string; Value?: string }[] | undefined {
  const v = r.body.tags;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((t) => typeof t !== 'object' || t === null || typeof (t as { Key?: unknown }).Key !== 'string')) throw badInput('tags must be a list of {Key, Value}.');
  return v as { Key: string; Value?: string }[];
}

const header = (r: ParsedRequest, name: string): string | undefined => r.headers[name];
const page = (r: ParsedRequest) => ({ pageSize: qInt(r, 'pageSize'), marker: qString(r, 'marker') });
const tokenPage = (r: ParsedRequest) => ({ maxResults: qInt(r, 'maxResults'), nextToken: qString(r, 'nextToken') });

function route<K extends IotOperation>(method: string, template: string, operation: K, parse: (r: ParsedRequest) => IotInputs[K]): Route {
  return { method, segments: template.split('/').slice(1), operation, parse };
}

/** Method, path and members of each operation, as in @aws-sdk/client-iot's operation schemas. */
const ROUTES: Route[] = [
  route('POST', '/keys-and-certificate', 'CreateKeysAndCertificate', (r) => ({ setAsActive: qBool(r, 'setAsActive') })),
  route('POST', '/certificate/register-no-ca', 'RegisterCertificateWithoutCA', (r) => ({ certificatePem: bString(r, 'certificatePem'), status: bString(r, 'status') })),
  route('GET', '/certificates', 'ListCertificates', (r) => ({ ...page(r), ascendingOrder: qBool(r, 'isAscendingOrder') })),
  route('GET', '/certificates/{certificateId}', 'DescribeCertificate', (r) => ({ certificateId: r.labels.certificateId })),
  route('PUT', '/certificates/{certificateId}', 'UpdateCertificate', (r) => ({ certificateId: r.labels.certificateId, newStatus: qString(r, 'newStatus') })),
  route('DELETE', '/certificates/{certificateId}', 'DeleteCertificate', (r) => ({ certificateId: r.labels.certificateId, forceDelete: qBool(r, 'forceDelete') })),
  route('GET', '/certificates-out-going', 'ListOutgoingCertificates', (r) => ({ ...page(r), ascendingOrder: qBool(r, 'isAscendingOrder') })),
  route('PATCH', '/transfer-certificate/{certificateId}', 'TransferCertificate', (r) => ({
    certificateId: r.labels.certificateId,
    targetAwsAccount: qString(r, 'targetAwsAccount'),
    transferMessage: bString(r, 'transferMessage'),
  })),
  route('PATCH', '/accept-certificate-transfer/{certificateId}', 'AcceptCertificateTransfer', (r) => ({ certificateId: r.labels.certificateId, setAsActive: qBool(r, 'setAsActive') })),
  route('PATCH', '/reject-certificate-transfer/{certificateId}', 'RejectCertificateTransfer', (r) => ({ certificateId: r.labels.certificateId, rejectReason: bString(r, 'rejectReason') })),
  route('PATCH', '/cancel-certificate-transfer/{certificateId}', 'CancelCertificateTransfer', (r) => ({ certificateId: r.labels.certificateId })),
  route('GET', '/policies', 'ListPolicies', (r) => ({ ...page(r), ascendingOrder: qBool(r, 'isAscendingOrder') })),
  route('POST', '/policies/{policyName}', 'CreatePolicy', (r) => ({ policyName: r.labels.policyName, policyDocument: bString(r, 'policyDocument'), tags: bTags(r) })),
  route('GET', '/policies/{policyName}', 'GetPolicy', (r) => ({ policyName: r.labels.policyName })),
  route('DELETE', '/policies/{policyName}', 'DeletePolicy', (r) => ({ policyName: r.labels.policyName })),
  route('PUT', '/target-policies/{policyName}', 'AttachPolicy', (r) => ({ policyName: r.labels.policyName, target: bString(r, 'target') })),
  route('POST', '/target-policies/{policyName}', 'DetachPolicy', (r) => ({ policyName: r.labels.policyName, target: bString(r, 'target') })),
  route('POST', '/attached-policies/{target}', 'ListAttachedPolicies', (r) => ({ target: r.labels.target, recursive: qBool(r, 'recursive'), ...page(r) })),
  route('POST', '/policy-targets/{policyName}', 'ListTargetsForPolicy', (r) => ({ policyName: r.labels.policyName, ...page(r) })),
  route('GET', '/things', 'ListThings', (r) => ({
    ...tokenPage(r),
    attributeName: qString(r, 'attributeName'),
    attributeValue: qString(r, 'attributeValue'),
    thingTypeName: qString(r, 'thingTypeName'),
    usePrefixAttributeValue: qBool(r, 'usePrefixAttributeValue'),
  })),
  route('POST', '/things/{thingName}', 'CreateThing', (r) => ({
    thingName: r.labels.thingName,
    thingTypeName: bString(r, 'thingTypeName'),
    attributePayload: bAttributePayload(r),
    billingGroupName: bString(r, 'billingGroupName'),
  })),
  route('GET', '/things/{thingName}', 'DescribeThing', (r) => ({ thingName: r.labels.thingName })),
  route('PATCH', '/things/{thingName}', 'UpdateThing', (r) => ({
    thingName: r.labels.thingName,
    thingTypeName: bString(r, 'thingTypeName'),
    attributePayload: bAttributePayload(r),
    expectedVersion: bInt(r, 'expectedVersion'),
    removeThingType: bBool(r, 'removeThingType'),
  })),
  route('DELETE', '/things/{thingName}', 'DeleteThing', (r) => ({ thingName: r.labels.thingName, expectedVersion: qInt(r, 'expectedVersion') })),
  route('PUT', '/things/{thingName}/principals', 'AttachThingPrincipal', (r) => ({
    thingName: r.labels.thingName,
    principal: header(r, 'x-amzn-principal'),
    thingPrincipalType: qString(r, 'thingPrincipalType'),
  })),
  route('DELETE', '/things/{thingName}/principals', 'DetachThingPrincipal', (r) => ({ thingName: r.labels.thingName, principal: header(r, 'x-amzn-principal') })),
  route('GET', '/things/{thingName}/principals', 'ListThingPrincipals', (r) => ({ thingName: r.labels.thingName, ...tokenPage(r) })),
  route('GET', '/things/{thingName}/principals-v2', 'ListThingPrincipalsV2', (r) => ({ thingName: r.labels.thingName, ...tokenPage(r), thingPrincipalType: qString(r, 'thingPrincipalType') })),
  route('GET', '/principals/things', 'ListPrincipalThings', (r) => ({ principal: header(r, 'x-amzn-principal'), ...tokenPage(r) })),
  route('GET', '/principals/things-v2', 'ListPrincipalThingsV2', (r) => ({ principal: header(r, 'x-amzn-principal'), ...tokenPage(r), thingPrincipalType: qString(r, 'thingPrincipalType') })),
];

/** Finds the route for a request; labels come back percent-decoded (IoT ARNs arrive with `:` and `/` encoded). */
export function matchRoute(method: string, rawPath: string): { operation: IotOperation; labels: Record<string, string>; route: Route } | undefined {
  const segments = rawPath.split('/').slice(1);
  if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
  for (const r of ROUTES) {
    if (r.method !== method || r.segments.length !== segments.length) continue;
    const labels: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < segments.length && ok; i++) {
      const t = r.segments[i];
      if (t.startsWith('{')) {
        let value: string;
        try {
          value = decodeURIComponent(segments[i]);
        } catch {
          return undefined;
        }
        labels[t.slice(1, -1)] = value;
      } else ok = t === segments[i];
    }
    if (ok) return { operation: r.operation, labels, route: r };
  }
  return undefined;
}

/** restJson1 timestamps default to epoch seconds. */
function toJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : v;
  });
}

function errorResponse(code: string, message: string, status: number, fields: Record<string, string> = {}): AwsResponse {
  return {
    status,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': code },
    body: JSON.stringify({ __type: code, message, ...fields }),
  };
}

/** The IoT provider for the edge router. Signs as `iot`; the Debian AWS CLI 2.9 signs IoT as `execute-api`. */
export function createIotProvider(model: IotModel): ServiceProvider {
  return {
    name: 'iot',
    signingNames: ['iot', 'execute-api'],
    async handle(req: AwsRequest): Promise<AwsResponse> {
      const match = matchRoute(req.method, req.rawPath);
      if (!match) {
        return errorResponse('NotImplementedException', `The IoT operation ${req.method} ${req.rawPath} is not implemented by the local cloud`, 501);
      }
      try {
        let body: Record<string, unknown> = {};
        if (req.body.length > 0) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(req.body.toString('utf8'));
          } catch {
            throw badInput('The request body is not valid JSON.');
          }
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badInput('The request body must be a JSON object.');
          body = parsed as Record<string, unknown>;
        }
        const input = match.route.parse({ labels: match.labels, query: req.query, headers: req.headers, body });
        const output = await model.call({ account: req.account, region: req.region }, match.operation, input as never);
        return { status: 200, headers: { 'content-type': 'application/json' }, body: output === undefined ? '' : toJson(output) };
      } catch (err) {
        if (err instanceof IotError) return errorResponse(err.code, err.message, err.status, err.fields);
        if (err instanceof AwsError) return errorResponse(err.code, err.message, err.status);
        // Anything unexpected is a bug of the emulator: a plain 500, details in the log.
        console.error('[iot] internal error', err);
        return errorResponse('InternalFailureException', 'An unexpected error has occurred.', 500);
      }
    },
  };
}
