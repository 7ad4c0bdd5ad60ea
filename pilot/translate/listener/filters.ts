// The filters Petrel's listeners are made of: HTTP filter chains per generator
// family, the HTTP connection manager, tcp_proxy, and listener filters.
import { adsConfigSource } from '../common/envoy.ts';
import {
  CORS,
  HTTP_CONNECTION_MANAGER,
  HTTP_FAULT,
  ORIGINAL_DST,
  ROUTER,
  TCP_PROXY,
  HTTP_INSPECTOR,
  TLS_INSPECTOR,
  UUID_REQUEST_ID,
} from '../common/type-urls.ts';
import type { BuildContext, Family } from '../cluster/context.ts';
import { CORS_FILTER } from '../route/cors.ts';
import { FAULT_FILTER } from '../route/fault.ts';
import { securityHttpFilters } from '../security/http-filters.ts';

const ROUTER_FILTER = { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } };

/**
 * fault and cors first (routes configure them per route through
 * typed_per_filter_config), router last. Proxyless gRPC has no CORS filter: a filter
 * it does not know makes it reject the listener.
 */
export function httpFilters(family: Family): Record<string, unknown>[] {
  const fault = { name: FAULT_FILTER, typed_config: { '@type': HTTP_FAULT } };
  if (family === 'grpc') return [fault, ROUTER_FILTER];
  return [fault, { name: CORS_FILTER, typed_config: { '@type': CORS } }, ROUTER_FILTER];
}

export interface HcmOptions {
  statPrefix: string;
  /** RDS route configuration name; or an inline route configuration. */
  rds?: string;
  routeConfig?: Record<string, unknown>;
  family: Family;
  /** Gateways trust the client address they see; sidecars do not. */
  useRemoteAddress?: boolean;
  inbound?: boolean;
  /**
   * Where the workload's own policies apply (a sidecar's inbound port, a gateway's
   * server port; undefined for inbound passthrough): jwt_authn, RBAC and local rate
   * limit go before fault/CORS/router.
   */
  security?: { ctx: BuildContext; port: number | undefined };
}

export function httpConnectionManager(opts: HcmOptions): Record<string, unknown> {
  const hcm: Record<string, unknown> = {
    '@type': HTTP_CONNECTION_MANAGER,
    stat_prefix: opts.statPrefix,
  };
  if (opts.rds !== undefined)
    hcm.rds = { config_source: adsConfigSource(), route_config_name: opts.rds };
  else hcm.route_config = opts.routeConfig;
  hcm.http_filters = opts.security
    ? [...securityHttpFilters(opts.security.ctx, opts.security.port), ...httpFilters(opts.family)]
    : httpFilters(opts.family);
  if (opts.family === 'grpc') return hcm;
  hcm.use_remote_address = { value: opts.useRemoteAddress === true };
  hcm.normalize_path = { value: true };
  hcm.path_with_escaped_slashes_action = 'KEEP_UNCHANGED';
  hcm.stream_idle_timeout = '0s';
  hcm.upgrade_configs = [{ upgrade_type: 'websocket' }];
  hcm.request_id_extension = {
    typed_config: { '@type': UUID_REQUEST_ID, use_request_id_for_trace_sampling: { value: true } },
  };
  if (opts.inbound || opts.useRemoteAddress) hcm.server_name = 'istio-envoy';
  // x-forwarded-client-cert as Istio sets it: a sidecar appends the mTLS peer's
  // details for its app; a gateway replaces whatever a client sent with those of
  // the client certificate it verified (mesh default gatewayTopology SANITIZE_SET).
  if (opts.inbound) {
    hcm.forward_client_cert_details = 'APPEND_FORWARD';
    hcm.set_current_client_cert_details = { subject: { value: true }, dns: true, uri: true };
  } else if (opts.useRemoteAddress) {
    hcm.forward_client_cert_details = 'SANITIZE_SET';
    hcm.set_current_client_cert_details = {
      subject: { value: true },
      cert: true,
      dns: true,
      uri: true,
    };
  }
  return hcm;
}

export function hcmFilter(opts: HcmOptions): Record<string, unknown> {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: httpConnectionManager(opts),
  };
}

export interface TcpTarget {
  cluster?: string;
  weighted?: { name: string; weight: number }[];
}

export function tcpProxyFilter(statPrefix: string, target: TcpTarget): Record<string, unknown> {
  const config: Record<string, unknown> = { '@type': TCP_PROXY, stat_prefix: statPrefix };
  if (target.weighted && target.weighted.length > 1)
    config.weighted_clusters = { clusters: target.weighted };
  else config.cluster = target.weighted?.[0]?.name ?? target.cluster;
  return { name: 'envoy.filters.network.tcp_proxy', typed_config: config };
}

export const HTTP_INSPECTOR_FILTER = {
  name: 'envoy.filters.listener.http_inspector',
  typed_config: { '@type': HTTP_INSPECTOR },
};
export const TLS_INSPECTOR_FILTER = {
  name: 'envoy.filters.listener.tls_inspector',
  typed_config: { '@type': TLS_INSPECTOR },
};
export const ORIGINAL_DST_FILTER = {
  name: 'envoy.filters.listener.original_dst',
  typed_config: { '@type': ORIGINAL_DST },
};
