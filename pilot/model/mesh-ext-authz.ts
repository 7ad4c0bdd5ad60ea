// The ext_authz kinds of MeshConfig extensionProviders (EnvoyExternalAuthorization
// HttpProvider and GrpcProvider), field by field with Istio's checks
// (pkg/config/validation/agent extensionprovider.go and the authz builder's
// extauthz.go): each problem names its field, for mesh-providers.ts to report.
import { isIP } from 'node:net';
import { lookupEnum } from '../../api/envoy/registry.ts';
import { parseDurationMs } from '../../api/istio/duration.ts';

/** How much of the request body goes to the authorizer (Envoy's BufferSettings). */
export interface ExtAuthzRequestBody {
  maxRequestBytes: number;
  allowPartialMessage?: boolean;
  packAsBytes?: boolean;
}

export interface ExtAuthzCommon {
  /** `host` (a Service or ServiceEntry host known to pilot) or `namespace/host`. */
  service: string;
  port: number;
  /** A duration like "10s"; Istio's default 600s. */
  timeout?: string;
  failOpen?: boolean;
  /** An HTTP status like "503", sent when the authorizer cannot be reached. */
  statusOnError?: string;
  includeRequestBodyInCheck?: ExtAuthzRequestBody;
}

/** EnvoyExternalAuthorizationHttpProvider. */
export interface EnvoyExtAuthzHttp extends ExtAuthzCommon {
  pathPrefix?: string;
  includeRequestHeadersInCheck?: string[];
  /** Deprecated in Istio; used only when includeRequestHeadersInCheck is absent. */
  includeHeadersInCheck?: string[];
  includeAdditionalHeadersInCheck?: Record<string, string>;
  headersToUpstreamOnAllow?: string[];
  headersToDownstreamOnDeny?: string[];
  headersToDownstreamOnAllow?: string[];
}

/** EnvoyExternalAuthorizationGrpcProvider. */
export type EnvoyExtAuthzGrpc = ExtAuthzCommon;

const COMMON_FIELDS = [
  'service',
  'port',
  'timeout',
  'failOpen',
  'clearRouteCache',
  'statusOnError',
  'includeRequestBodyInCheck',
];
const HEADER_LISTS = [
  'includeRequestHeadersInCheck',
  'includeHeadersInCheck',
  'headersToUpstreamOnAllow',
  'headersToDownstreamOnDeny',
  'headersToDownstreamOnAllow',
] as const;
const HTTP_FIELDS = [
  ...COMMON_FIELDS,
  'pathPrefix',
  'includeAdditionalHeadersInCheck',
  ...HEADER_LISTS,
];

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOST_LABEL = '[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?';
const FQDN = new RegExp(`^${HOST_LABEL}(\\.${HOST_LABEL})*\\.?$`);
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export type Fields = Record<string, unknown>;
export const isRecord = (v: unknown): v is Fields =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Collects the problems of one provider entry, each naming its field. */
export class Check {
  readonly problems: string[] = [];
  readonly warnings: string[];
  constructor(warnings: string[]) {
    this.warnings = warnings;
  }
  bad(at: string, message: string): undefined {
    this.problems.push(`${at}: ${message}`);
    return undefined;
  }
  unknownFields(v: Fields, at: string, known: readonly string[], type: string): void {
    for (const key of Object.keys(v))
      if (!known.includes(key)) this.warnings.push(`${at}.${key}: not a ${type} field; ignored`);
  }
  bool(v: Fields, key: string, at: string): boolean | undefined {
    const value = v[key];
    if (value === undefined || value === null) return undefined;
    return typeof value === 'boolean' ? value : this.bad(`${at}.${key}`, 'must be true or false');
  }
}

/** Envoy's status codes (envoy.type.v3.StatusCode) but Empty (0), which Envoy refuses. */
let statusCodes: ReadonlySet<number> | undefined;
function isKnownStatus(code: number): boolean {
  statusCodes ??= new Set(
    Object.values(lookupEnum('envoy.type.v3.StatusCode').values).filter((n) => n !== 0),
  );
  return statusCodes.has(code);
}

/** Istio's validateExtensionProviderService: a hostname, an IP, or `namespace/hostname`. */
function serviceProblem(service: string): string | undefined {
  if (!service) return 'must not be empty';
  const parts = service.split('/');
  if (parts.length > 2) return 'must be a hostname or namespace/hostname';
  if (parts.length === 2) {
    if (!DNS_LABEL.test(parts[0]!)) return 'must be namespace/hostname with a namespace name';
    if (!FQDN.test(parts[1]!) || parts[1]!.length > 253)
      return 'must be namespace/hostname with a hostname (no wildcard)';
    return undefined;
  }
  if ((FQDN.test(service) && service.length <= 253) || isIP(service) !== 0) return undefined;
  return 'must be a hostname (no wildcard), an IP address or namespace/hostname';
}

function headerList(c: Check, v: Fields, key: string, at: string): string[] | undefined {
  const list = v[key];
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) return c.bad(`${at}.${key}`, 'must be a list of header names');
  list.forEach((h, i) => {
    if (typeof h !== 'string' || h === '') c.bad(`${at}.${key}[${i}]`, 'must be a header name');
    else if (h === '*')
      c.bad(
        `${at}.${key}[${i}]`,
        'a lone "*" is not supported; use a prefix ("x-*") or suffix ("*-id") match',
      );
  });
  return list as string[];
}

function requestBody(c: Check, v: unknown, at: string): ExtAuthzRequestBody | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) return c.bad(at, 'must be an object');
  c.unknownFields(
    v,
    at,
    ['maxRequestBytes', 'allowPartialMessage', 'packAsBytes'],
    'EnvoyExternalAuthorizationRequestBody',
  );
  const max = v.maxRequestBytes;
  // Envoy's BufferSettings requires max_request_bytes > 0 (a listener without it is NACKed).
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 0xffffffff)
    c.bad(`${at}.maxRequestBytes`, 'must be a number of bytes above 0');
  const out: ExtAuthzRequestBody = { maxRequestBytes: max as number };
  const partial = c.bool(v, 'allowPartialMessage', at);
  if (partial !== undefined) out.allowPartialMessage = partial;
  const bytes = c.bool(v, 'packAsBytes', at);
  if (bytes !== undefined) out.packAsBytes = bytes;
  return out;
}

/** The fields both ext_authz kinds have, checked. */
function commonFields(c: Check, v: Fields, at: string): ExtAuthzCommon {
  const out: ExtAuthzCommon = { service: '', port: 0 };
  if (v.service === undefined || v.service === null) c.bad(`${at}.service`, 'must not be empty');
  else if (typeof v.service !== 'string') c.bad(`${at}.service`, 'must be a string');
  else {
    const problem = serviceProblem(v.service);
    if (problem) c.bad(`${at}.service`, problem);
    out.service = v.service;
  }
  const port = v.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535)
    c.bad(`${at}.port`, 'must be in 1..65535');
  else out.port = port;
  if (v.timeout !== undefined && v.timeout !== null) {
    if (typeof v.timeout !== 'string' || parseDurationMs(v.timeout) === undefined)
      c.bad(`${at}.timeout`, 'must be a duration like "10s"');
    else out.timeout = v.timeout;
  }
  const failOpen = c.bool(v, 'failOpen', at);
  if (failOpen !== undefined) out.failOpen = failOpen;
  // Istio's authz builder does not pass clearRouteCache to Envoy either.
  if (c.bool(v, 'clearRouteCache', at))
    c.warnings.push(`${at}.clearRouteCache: not supported by Petrel; ignored`);
  const status = v.statusOnError;
  if (status !== undefined && status !== null && status !== '') {
    if (typeof status !== 'string' || !/^\d{1,3}$/.test(status))
      c.bad(`${at}.statusOnError`, 'must be an HTTP status as a string, like "403"');
    else if (!isKnownStatus(Number(status)))
      c.bad(`${at}.statusOnError`, 'must be an HTTP status Envoy knows, like "403" or "503"');
    else out.statusOnError = status;
  }
  const body = requestBody(c, v.includeRequestBodyInCheck, `${at}.includeRequestBodyInCheck`);
  if (body) out.includeRequestBodyInCheck = body;
  return out;
}

export function httpProvider(c: Check, v: Fields, at: string): EnvoyExtAuthzHttp {
  c.unknownFields(v, at, HTTP_FIELDS, 'EnvoyExternalAuthorizationHttpProvider');
  const out: EnvoyExtAuthzHttp = commonFields(c, v, at);
  if (v.pathPrefix !== undefined && v.pathPrefix !== null && v.pathPrefix !== '') {
    if (typeof v.pathPrefix !== 'string' || !v.pathPrefix.startsWith('/'))
      c.bad(`${at}.pathPrefix`, 'must begin with `/`');
    else if (/[\s\x00-\x1f\x7f]/.test(v.pathPrefix))
      c.bad(`${at}.pathPrefix`, 'must be a URL path (no spaces or control characters)');
    else out.pathPrefix = v.pathPrefix;
  }
  for (const key of HEADER_LISTS) {
    const list = headerList(c, v, key, at);
    if (list?.length) out[key] = list;
  }
  const extra = v.includeAdditionalHeadersInCheck;
  if (extra !== undefined && extra !== null) {
    const where = `${at}.includeAdditionalHeadersInCheck`;
    if (!isRecord(extra)) c.bad(where, 'must be a map of header name to value');
    else {
      for (const [name, value] of Object.entries(extra)) {
        if (!HEADER_NAME.test(name)) c.bad(`${where}.${name}`, 'must be a header name');
        else if (typeof value !== 'string') c.bad(`${where}.${name}`, 'must be a string');
      }
      if (Object.keys(extra).length > 0)
        out.includeAdditionalHeadersInCheck = extra as Record<string, string>;
    }
  }
  return out;
}

export function grpcProvider(c: Check, v: Fields, at: string): EnvoyExtAuthzGrpc {
  c.unknownFields(v, at, COMMON_FIELDS, 'EnvoyExternalAuthorizationGrpcProvider');
  return commonFields(c, v, at);
}
