// Compiled route configuration: what the request path reads, built once per RDS
// (or inline route_config) update.
import type { RequestPredicate } from '../match/header-matcher.ts';
import type { HeaderMap } from '../upstream/types.ts';
import type { HashPolicy } from './hash-policy.ts';
import type { HeaderMutation } from './header-mutation.ts';
import type { RetryPolicy } from './retry-policy.ts';
import type { Redirect } from './redirect.ts';

/** What matchers, formatters and hash policies read from a request. */
export interface RequestView {
  readonly method: string;
  readonly authority: string;
  /** :path as received, query included. */
  readonly path: string;
  readonly scheme: string;
  readonly protocol: string;
  readonly headers: HeaderMap;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  header(name: string): string | undefined;
  queryParam(name: string): string | undefined | null;
  /** Set once an upstream host is chosen (for response header formatters). */
  upstreamHost: string | undefined;
}

export interface WeightedCluster {
  name: string;
  weight: number;
  requestMutation: HeaderMutation | null;
  responseMutation: HeaderMutation | null;
  perFilter: ReadonlyMap<string, unknown> | null;
}

export interface Mirror {
  cluster: string;
  fraction: number;
}

export interface ClusterAction {
  kind: 'route';
  cluster: string | undefined;
  clusterHeader: string | undefined;
  weighted: { clusters: WeightedCluster[]; total: number } | undefined;
  prefixRewrite: string | undefined;
  regexRewrite: { pattern: RegExp; substitution: string } | undefined;
  hostRewrite: string | undefined;
  hostRewriteHeader: string | undefined;
  /** Route timeout in ms; 0 disables it. */
  timeoutMs: number;
  /** max_stream_duration.grpc_timeout_header_max: honour grpc-timeout up to this (0 = no cap). */
  grpcTimeoutMaxMs: number | undefined;
  retry: RetryPolicy | null;
  hashPolicies: HashPolicy[];
  mirrors: Mirror[];
  /** Route-level upgrade_configs (upgrade type → enabled), over the connection manager's. */
  upgrades: ReadonlyMap<string, boolean> | undefined;
  /** 503 (default) or 404 when the named cluster does not exist. */
  clusterNotFoundCode: number;
}

export interface DirectResponseAction {
  kind: 'direct';
  status: number;
  body: Buffer | null;
}

export interface RedirectAction {
  kind: 'redirect';
  redirect: Redirect;
}

export interface NonForwardingAction {
  kind: 'non-forwarding';
}

export type RouteAction =
  ClusterAction | DirectResponseAction | RedirectAction | NonForwardingAction;

export interface CompiledRoute {
  name: string;
  /** Path part of the match, for prefix_rewrite (the matched prefix or exact path). */
  rewriteBase: string | undefined;
  matches(req: RequestView, pathNoQuery: string): boolean;
  action: RouteAction;
  virtualHost: CompiledVirtualHost;
  /** Ordered as Envoy evaluates them: route, then virtual host, then route configuration. */
  requestMutations: HeaderMutation[];
  responseMutations: HeaderMutation[];
  /** typed_per_filter_config by filter name, route entries over virtual host ones. */
  perFilter: ReadonlyMap<string, unknown>;
  includeAttemptCount: boolean;
  includeAttemptCountInResponse: boolean;
  /** For access logs and tracing: route.decorator.operation. */
  operation: string | undefined;
}

export interface CompiledVirtualHost {
  name: string;
  routes: CompiledRoute[];
}
