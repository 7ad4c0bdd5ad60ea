// envoy.extensions.filters.http.ext_authz.v3.ExtAuthz and ExtAuthzPerRoute compiled
// once per config. Every field is either implemented or reported: an error for what
// would change who is let through or what reaches the upstream, a warning for what
// only touches stats or routing after the check.
import type { Issues } from '../config/issues.ts';
import {
  asArray,
  asObj,
  asString,
  durationMs,
  fractionalPercent,
  wrappedBool,
  type Obj,
} from '../config/values.ts';
import { compileHeaderMutation, type HeaderMutation } from '../route/header-mutation.ts';
import {
  compileGrpcService,
  compileNamePredicate,
  httpStatusCode,
  reportUnknownFields,
  type GrpcTarget,
  type NamePredicate,
} from './ext-authz-common.ts';
import { compileMetadataMatcher, type MetadataPredicate } from './metadata-matcher.ts';

export const EXT_AUTHZ_TYPE = 'envoy.extensions.filters.http.ext_authz.v3.ExtAuthz';
export const EXT_AUTHZ_PER_ROUTE_TYPE =
  'envoy.extensions.filters.http.ext_authz.v3.ExtAuthzPerRoute';

export interface HttpTarget {
  kind: 'http';
  cluster: string;
  timeoutMs: number;
  pathPrefix: string;
  /** authorization_request.headers_to_add (overwriting what the client sent). */
  headersToAdd: HeaderMutation | null;
  /** Authorizer response headers set on the upstream request on 200 (none when unset). */
  upstream: NamePredicate | undefined;
  upstreamAppend: NamePredicate | undefined;
  /** Authorizer response headers passed to the client on a denial. */
  client: NamePredicate;
  /** … and on success (none when unset). */
  clientOnSuccess: NamePredicate | undefined;
  metadataFromHeaders: NamePredicate | undefined;
}

export interface BodySettings {
  maxBytes: number;
  allowPartial: boolean;
  packAsBytes: boolean;
}

export interface ExtAuthzConfig {
  service: GrpcTarget | HttpTarget;
  failureModeAllow: boolean;
  failureModeAllowHeaderAdd: boolean;
  statusOnError: number;
  body: BodySettings | undefined;
  /** filter_enabled's default value as a probability (undefined: always). */
  enabledFraction: number | undefined;
  enabledMetadata: MetadataPredicate | undefined;
  denyAtDisable: boolean;
  /** Which client headers go into the check (undefined: all). */
  allowedHeaders: NamePredicate | undefined;
  disallowedHeaders: NamePredicate | undefined;
  metadataNamespaces: readonly string[];
  includePeerCertificate: boolean;
  includeTlsSession: boolean;
  encodeRawHeaders: boolean;
  validateMutations: boolean;
  ingestMetadata: boolean;
  /** The filter's own stat_prefix, between `ext_authz.` and the counter. */
  statPrefix: string;
}

export interface ExtAuthzPerRoute {
  disabled: boolean;
  contextExtensions: Readonly<Record<string, string>>;
  disableBody: boolean;
  body: BodySettings | undefined;
}

const FIELDS = new Set([
  'grpc_service',
  'http_service',
  'transport_api_version',
  'failure_mode_allow',
  'failure_mode_allow_header_add',
  'with_request_body',
  'status_on_error',
  'validate_mutations',
  'metadata_context_namespaces',
  'typed_metadata_context_namespaces',
  'filter_enabled',
  'filter_enabled_metadata',
  'deny_at_disable',
  'include_peer_certificate',
  'stat_prefix',
  'allowed_headers',
  'disallowed_headers',
  'include_tls_session',
  'encode_raw_headers',
  'enable_dynamic_metadata_ingestion',
]);
/** Accepted with a warning: they touch stats or routing after the check, not the decision. */
const WARN_FIELDS: Record<string, string> = {
  clear_route_cache: 'the route is not recomputed after the authorizer edits the request',
  charge_cluster_response_stats: 'no per-cluster response code stats are kept',
  bootstrap_metadata_labels_key: 'destination labels are not sent',
};

/** Header names an HTTP authorizer always gets (Envoy adds them to any allowed_headers). */
const HTTP_DEFAULT_HEADERS = new Set([':authority', ':method', ':path', 'authorization']);
/** … and the response headers a denial always passes when allowed_client_headers is set. */
const CLIENT_DEFAULT_HEADERS = new Set(['content-length', 'location', 'www-authenticate']);

export function compileBodySettings(v: unknown, issues: Issues): BodySettings | undefined {
  const b = asObj(v);
  if (!b) return undefined;
  const max = Number(b.max_request_bytes ?? 0);
  if (!(max > 0)) issues.add('max_request_bytes must be greater than 0', 'max_request_bytes');
  return {
    maxBytes: max,
    allowPartial: b.allow_partial_message === true,
    packAsBytes: b.pack_as_bytes === true,
  };
}

function compileHttpService(
  v: Obj,
  topAllowed: unknown,
  issues: Issues,
): { target: HttpTarget; allowed: NamePredicate } | undefined {
  reportUnknownFields(
    v,
    ['server_uri', 'path_prefix', 'authorization_request', 'authorization_response'],
    issues,
  );
  const uri = asObj(v.server_uri) ?? {};
  const cluster = asString(uri.cluster);
  if (!cluster) {
    issues.add('server_uri.cluster is required', 'server_uri.cluster');
    return undefined;
  }
  const timeoutMs = durationMs(uri.timeout, issues, 'server_uri.timeout');
  if (timeoutMs === undefined) issues.add('server_uri.timeout is required', 'server_uri.timeout');
  const pathPrefix = asString(v.path_prefix) ?? '';
  if (pathPrefix !== '' && !pathPrefix.startsWith('/'))
    issues.add('path_prefix must start with "/"', 'path_prefix');
  const req = asObj(v.authorization_request) ?? {};
  const res = asObj(v.authorization_response) ?? {};
  reportUnknownFields(
    req,
    ['allowed_headers', 'headers_to_add'],
    issues.at('authorization_request'),
  );
  const resIssues = issues.at('authorization_response');
  if (req.allowed_headers !== undefined && topAllowed !== undefined)
    issues.add('allowed_headers is set twice (here and at the top level)', 'authorization_request');
  const allowedList = req.allowed_headers ?? topAllowed;
  const allowedIssues =
    req.allowed_headers !== undefined ? issues.at('authorization_request.allowed_headers') : issues;
  const userAllowed = compileNamePredicate(allowedList, allowedIssues);
  const list = (field: string): NamePredicate | undefined =>
    compileNamePredicate(res[field], resIssues.at(field));
  const client = list('allowed_client_headers');
  const adds = asArray(req.headers_to_add).map((h) => ({
    header: h,
    append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
  }));
  return {
    target: {
      kind: 'http',
      cluster,
      timeoutMs: timeoutMs ?? 0,
      pathPrefix,
      headersToAdd: compileHeaderMutation(
        adds,
        undefined,
        issues.at('authorization_request'),
        'headers_to_add',
        'headers_to_remove',
      ),
      upstream: list('allowed_upstream_headers'),
      upstreamAppend: list('allowed_upstream_headers_to_append'),
      // Unset: every authorizer header but Host; set: those and a few Envoy always adds.
      client: client
        ? (n) => client(n) || CLIENT_DEFAULT_HEADERS.has(n)
        : (n) => n !== 'host' && n !== ':authority',
      clientOnSuccess: list('allowed_client_headers_on_success'),
      metadataFromHeaders: list('dynamic_metadata_from_headers'),
    },
    allowed: userAllowed
      ? (n) => HTTP_DEFAULT_HEADERS.has(n) || userAllowed(n)
      : (n) => HTTP_DEFAULT_HEADERS.has(n),
  };
}

export function compileExtAuthz(c: Obj, issues: Issues): ExtAuthzConfig | undefined {
  reportUnknownFields(c, [...FIELDS], issues, WARN_FIELDS);
  for (const f of ['route_metadata_context_namespaces', 'route_typed_metadata_context_namespaces'])
    if (asArray(c[f]).length > 0) issues.add('route metadata is not sent to authorizers', f);
  if (c.decoder_header_mutation_rules !== undefined)
    issues.add('header mutation rules are not supported', 'decoder_header_mutation_rules');
  const api = asString(c.transport_api_version) ?? 'AUTO';
  if (api !== 'AUTO' && api !== 'V3')
    issues.add(`transport_api_version ${api} is not supported (V3 only)`, 'transport_api_version');
  let service: GrpcTarget | HttpTarget | undefined;
  let allowedHeaders: NamePredicate | undefined;
  if (c.grpc_service !== undefined && c.http_service !== undefined)
    issues.add('set grpc_service or http_service, not both');
  if (c.grpc_service !== undefined) {
    service = compileGrpcService(c.grpc_service, issues.at('grpc_service'));
    allowedHeaders = compileNamePredicate(c.allowed_headers, issues.at('allowed_headers'));
  } else if (c.http_service !== undefined) {
    const h = compileHttpService(
      asObj(c.http_service) ?? {},
      c.allowed_headers,
      issues.at('http_service'),
    );
    service = h?.target;
    allowedHeaders = h?.allowed;
  } else {
    issues.add('needs grpc_service or http_service');
  }
  const enabled = asObj(c.filter_enabled);
  const deny = asObj(c.deny_at_disable);
  const cfg: ExtAuthzConfig | undefined = service && {
    service,
    failureModeAllow: c.failure_mode_allow === true,
    failureModeAllowHeaderAdd: c.failure_mode_allow_header_add === true,
    statusOnError: httpStatusCode(c.status_on_error, 403, issues.at('status_on_error')),
    body: compileBodySettings(c.with_request_body, issues.at('with_request_body')),
    // Petrel has no runtime layer: a runtime_key falls back to the default, as in
    // Envoy when the key is absent.
    enabledFraction: enabled
      ? fractionalPercent(enabled.default_value, issues, 'filter_enabled.default_value', 1)
      : undefined,
    enabledMetadata:
      c.filter_enabled_metadata !== undefined
        ? compileMetadataMatcher(c.filter_enabled_metadata, issues.at('filter_enabled_metadata'))
        : undefined,
    denyAtDisable: deny ? wrappedBool(deny.default_value, false) : false,
    allowedHeaders,
    disallowedHeaders: compileNamePredicate(c.disallowed_headers, issues.at('disallowed_headers')),
    // typed_metadata_context_namespaces: Petrel's filters write no typed metadata, so
    // there is never anything to send for them.
    metadataNamespaces: asArray(c.metadata_context_namespaces).flatMap((n) =>
      typeof n === 'string' ? [n] : [],
    ),
    includePeerCertificate: c.include_peer_certificate === true,
    includeTlsSession: c.include_tls_session === true,
    encodeRawHeaders: c.encode_raw_headers === true,
    validateMutations: c.validate_mutations === true,
    ingestMetadata: wrappedBool(c.enable_dynamic_metadata_ingestion, true),
    statPrefix: asString(c.stat_prefix) ?? '',
  };
  return cfg;
}

export function compileExtAuthzPerRoute(c: Obj, issues: Issues): ExtAuthzPerRoute {
  reportUnknownFields(c, ['disabled', 'check_settings'], issues);
  const s = asObj(c.check_settings);
  if (c.disabled !== true && !s) issues.add('needs disabled or check_settings');
  if (s)
    reportUnknownFields(
      s,
      ['context_extensions', 'disable_request_body_buffering', 'with_request_body'],
      issues.at('check_settings'),
    );
  const ext: Record<string, string> = {};
  for (const [k, v] of Object.entries(asObj(s?.context_extensions) ?? {}))
    if (typeof v === 'string') ext[k] = v;
  if (s?.disable_request_body_buffering === true && s.with_request_body !== undefined)
    issues.add(
      'set disable_request_body_buffering or with_request_body, not both',
      'check_settings',
    );
  return {
    disabled: c.disabled === true,
    contextExtensions: ext,
    disableBody: s?.disable_request_body_buffering === true,
    body: compileBodySettings(s?.with_request_body, issues.at('check_settings.with_request_body')),
  };
}
