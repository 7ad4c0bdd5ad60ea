// MeshConfig extensionProviders → the Envoy ext_authz filter configs CUSTOM
// policies use, resolved once per push (Istio's processExtensionProvider, which
// also resolves them from the push context): the provider's `service` looked up in
// the service registry (Istio's LookupCluster, a cluster `outbound|<port>||<host>`),
// and the HTTP filter (http_service or grpc_service) and, for gRPC providers, the
// network filter built the way Istio's authz builder builds them (extauthz.go).
import { lookupEnum } from '../../../api/envoy/registry.ts';
import { envoyDuration, parseDurationMs } from '../../../api/istio/duration.ts';
import { deepFreeze } from '../../model/freeze.ts';
import type {
  EnvoyExtAuthzGrpc,
  EnvoyExtAuthzHttp,
  ExtAuthzRequestBody,
} from '../../model/mesh-providers.ts';
import type { PushContext } from '../../model/types.ts';
import { outboundClusterName } from '../common/names.ts';
import { memoPerPush } from '../common/push-memo.ts';
import { providerMatchPrefix } from './custom-rbac.ts';
import {
  EXT_AUTHZ,
  EXT_AUTHZ_SHADOW_PREFIX,
  NETWORK_EXT_AUTHZ,
  NETWORK_RBAC_FILTER,
  RBAC_FILTER,
  SHADOW_EFFECTIVE_POLICY_ID,
  TCP_RBAC_STAT_PREFIX,
} from './names.ts';

type Obj = Record<string, unknown>;

/** One provider, usable (its filter configs) or not (why). */
export type ResolvedProvider =
  | { kind: 'envoyExtAuthzHttp' | 'envoyExtAuthzGrpc'; http: Obj; tcp?: Obj; error?: undefined }
  | { error: string };

/** Istio's default authorizer timeout (timeoutOrDefault). */
const DEFAULT_TIMEOUT = '600s';

interface Target {
  hostname: string;
  cluster: string;
}

/** Istio's LookupCluster, plus the port: a cluster exists only for a port the service declares. */
function lookupCluster(push: PushContext, service: string, port: number): Target | string {
  const slash = service.indexOf('/');
  const host = slash < 0 ? service : service.slice(slash + 1);
  const candidates = push.servicesNamed?.(host) ?? [];
  let svc;
  if (slash >= 0) {
    const namespace = service.slice(0, slash);
    svc = candidates.find((s) => s.namespace === namespace);
    if (!svc) return `no Service or ServiceEntry ${host} in namespace ${namespace}`;
  } else {
    if (candidates.length === 0) return `${host} is not a Service or ServiceEntry host pilot knows`;
    if (candidates.length > 1)
      return `${host} is defined in namespaces ${candidates
        .map((s) => s.namespace)
        .sort()
        .join(', ')}: name one as <namespace>/${host}`;
    svc = candidates[0]!;
  }
  if (!svc.ports.some((p) => p.port === port))
    return `${svc.hostname} (${svc.origin}) has no port ${port}`;
  return { hostname: svc.hostname, cluster: outboundClusterName(port, undefined, svc.hostname) };
}

/** Istio's generateFilterMatcherForProvider: run ext_authz only when a policy of this provider matched. */
function enabledWhenMatched(rbacFilter: string, provider: string): Obj {
  return {
    filter: rbacFilter,
    path: [{ key: `${EXT_AUTHZ_SHADOW_PREFIX}${SHADOW_EFFECTIVE_POLICY_ID}` }],
    value: { string_match: { prefix: providerMatchPrefix(provider) } },
  };
}

/** Header names with Istio's wildcards (`x-*` prefix, `*-id` suffix), case-insensitive. */
function headerMatchers(headers: readonly string[] | undefined): Obj | undefined {
  if (!headers?.length) return undefined;
  return {
    patterns: headers.map((h) =>
      h.startsWith('*')
        ? { suffix: h.slice(1), ignore_case: true }
        : h.endsWith('*')
          ? { prefix: h.slice(0, -1), ignore_case: true }
          : { exact: h, ignore_case: true },
    ),
  };
}

const timeoutOf = (timeout: string | undefined): string =>
  timeout === undefined ? DEFAULT_TIMEOUT : envoyDuration(parseDurationMs(timeout)!);

function requestBody(body: ExtAuthzRequestBody | undefined): Obj | undefined {
  if (!body) return undefined;
  const out: Obj = { max_request_bytes: body.maxRequestBytes };
  if (body.allowPartialMessage) out.allow_partial_message = true;
  if (body.packAsBytes) out.pack_as_bytes = true;
  return out;
}

/** The fields both kinds share in the HTTP filter (proto3 defaults left out, as Istio's output). */
function commonConfig(p: EnvoyExtAuthzHttp | EnvoyExtAuthzGrpc, provider: string): Obj {
  const out: Obj = { '@type': EXT_AUTHZ, transport_api_version: 'V3' };
  if (p.statusOnError !== undefined)
    out.status_on_error = {
      code: lookupEnum('envoy.type.v3.StatusCode').valuesById[Number(p.statusOnError)],
    };
  if (p.failOpen) out.failure_mode_allow = true;
  const body = requestBody(p.includeRequestBodyInCheck);
  if (body) out.with_request_body = body;
  out.filter_enabled_metadata = enabledWhenMatched(RBAC_FILTER, provider);
  return out;
}

function httpProvider(p: EnvoyExtAuthzHttp, t: Target, provider: string): Obj {
  // The uri is required by Envoy but not used: the cluster is where checks go.
  const service: Obj = {
    server_uri: { uri: `http://${t.hostname}`, cluster: t.cluster, timeout: timeoutOf(p.timeout) },
  };
  if (p.pathPrefix) service.path_prefix = p.pathPrefix;
  const extra = p.includeAdditionalHeadersInCheck ?? {};
  const names = Object.keys(extra).sort();
  if (names.length > 0)
    service.authorization_request = {
      headers_to_add: names.map((key) => ({ key, value: extra[key] })),
    };
  const response: Obj = {};
  const upstream = headerMatchers(p.headersToUpstreamOnAllow);
  const onDeny = headerMatchers(p.headersToDownstreamOnDeny);
  const onAllow = headerMatchers(p.headersToDownstreamOnAllow);
  if (upstream) response.allowed_upstream_headers = upstream;
  if (onDeny) response.allowed_client_headers = onDeny;
  if (onAllow) response.allowed_client_headers_on_success = onAllow;
  if (Object.keys(response).length > 0) service.authorization_response = response;
  const config: Obj = { ...commonConfig(p, provider), http_service: service };
  // includeHeadersInCheck is Istio's deprecated name, used only without the new one.
  const allowed = headerMatchers(p.includeRequestHeadersInCheck ?? p.includeHeadersInCheck);
  if (allowed) config.allowed_headers = allowed;
  return config;
}

function grpcProvider(p: EnvoyExtAuthzGrpc, t: Target, provider: string): { http: Obj; tcp: Obj } {
  const grpc_service = {
    envoy_grpc: { cluster_name: t.cluster, authority: t.hostname },
    timeout: timeoutOf(p.timeout),
  };
  const tcp: Obj = {
    '@type': NETWORK_EXT_AUTHZ,
    stat_prefix: TCP_RBAC_STAT_PREFIX,
    grpc_service,
    transport_api_version: 'V3',
    filter_enabled_metadata: enabledWhenMatched(NETWORK_RBAC_FILTER, provider),
  };
  if (p.failOpen) tcp.failure_mode_allow = true;
  return { http: { ...commonConfig(p, provider), grpc_service }, tcp };
}

function resolveAll(push: PushContext): ReadonlyMap<string, ResolvedProvider> {
  const out = new Map<string, ResolvedProvider>();
  // In order, so a later provider of the same name (a duplicate, itself bad) wins, as in Istio.
  for (const p of push.mesh.extensionProviders ?? []) {
    if (p.problem !== undefined) {
      out.set(p.name, { error: p.problem });
      continue;
    }
    const kind = p.envoyExtAuthzHttp ? 'envoyExtAuthzHttp' : 'envoyExtAuthzGrpc';
    const spec = (p.envoyExtAuthzHttp ?? p.envoyExtAuthzGrpc)!;
    const target = lookupCluster(push, spec.service, spec.port);
    if (typeof target === 'string') {
      out.set(p.name, { error: `${kind}.service: ${target}` });
      continue;
    }
    const built = p.envoyExtAuthzHttp
      ? { kind, http: httpProvider(p.envoyExtAuthzHttp, target, p.name) }
      : { kind, ...grpcProvider(p.envoyExtAuthzGrpc!, target, p.name) };
    out.set(p.name, deepFreeze(built) as ResolvedProvider);
  }
  return out;
}

/** The mesh's ext_authz providers by name, resolved against this push's services (once per push). */
export function extAuthzProviders(push: PushContext): ReadonlyMap<string, ResolvedProvider> {
  return memoPerPush(push, push, 'ext-authz-providers', () => resolveAll(push));
}
