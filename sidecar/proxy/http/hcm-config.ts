// envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
// compiled: where routes come from, which filters run, and the header policies.
import { Issues } from '../config/issues.ts';
import {
  asArray,
  asNumber,
  asObj,
  asString,
  durationMs,
  wrappedBool,
  wrappedNumber,
  type Obj,
} from '../config/values.ts';
import { compileHttpFilters, type RouterOptions } from '../filters/registry.ts';
import type { HttpFilter } from '../filters/types.ts';
import { compileRouteTable, type RouteTable } from '../route/route-table.ts';
import { compileXfcc, type XfccConfig } from './xfcc.ts';

export const HCM_TYPE =
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

export type RouteSource = { kind: 'inline'; table: RouteTable } | { kind: 'rds'; name: string };

export interface HcmConfig {
  statPrefix: string;
  codec: 'AUTO' | 'HTTP1' | 'HTTP2';
  routes: RouteSource;
  filters: HttpFilter[];
  router: RouterOptions;
  useRemoteAddress: boolean;
  skipXffAppend: boolean;
  xffTrustedHops: number;
  generateRequestId: boolean;
  alwaysSetRequestIdInResponse: boolean;
  serverName: string;
  serverHeader: 'OVERWRITE' | 'APPEND_IF_ABSENT' | 'PASS_THROUGH';
  stripPort: 'none' | 'matching' | 'any';
  upgrades: Map<string, boolean>;
  /** Downstream idle timeout (common_http_protocol_options.idle_timeout), ms; 0 = none. */
  idleTimeoutMs: number;
  requestTimeoutMs: number;
  streamIdleTimeoutMs: number;
  /** forward_client_cert_details and set_current_client_cert_details (xfcc.ts). */
  xfcc: XfccConfig;
  via: string | undefined;
  /** max_request_headers_kb (Envoy's default 60 KiB), as node's maxHeaderSize. */
  maxHeaderBytes: number;
  /** Kept for the telemetry work (access logs, tracing); the data path does not read them. */
  accessLog: unknown[];
  tracing: unknown;
}

const CODECS = new Set(['AUTO', 'HTTP1', 'HTTP2']);

export function compileHcm(c: Obj, issues: Issues): HcmConfig | undefined {
  const codec = asString(c.codec_type) ?? 'AUTO';
  if (!CODECS.has(codec)) issues.add(`codec_type ${codec} is not supported`, 'codec_type');
  for (const f of [
    'scoped_routes',
    'local_reply_config',
    'request_id_extension_unsupported',
    'original_ip_detection_extensions',
    'early_header_mutation_extensions',
  ]) {
    if (c[f] !== undefined && !(Array.isArray(c[f]) && (c[f] as unknown[]).length === 0))
      issues.add(`${f} is not supported`, f);
  }
  let routes: RouteSource | undefined;
  const rds = asObj(c.rds);
  if (c.route_config !== undefined) {
    const rc = asObj(c.route_config) ?? {};
    routes = {
      kind: 'inline',
      table: compileRouteTable(asString(rc.name) ?? '', rc, issues.at('route_config')),
    };
  } else if (rds) {
    const name = asString(rds.route_config_name);
    if (!name) issues.add('route_config_name is required', 'rds.route_config_name');
    else routes = { kind: 'rds', name };
  } else {
    issues.add('needs route_config or rds');
  }
  const { filters, router } = compileHttpFilters(c.http_filters, issues.at('http_filters'));
  const upgrades = new Map<string, boolean>();
  asArray(c.upgrade_configs).forEach((u, i) => {
    const o = asObj(u);
    const t = asString(o?.upgrade_type)?.toLowerCase();
    if (!o || !t)
      return issues.add('upgrade_type is required', `upgrade_configs[${i}].upgrade_type`);
    if (asArray(o.filters).length > 0)
      issues.add('upgrade filter chains are not supported', `upgrade_configs[${i}].filters`);
    upgrades.set(t, wrappedBool(o.enabled, true));
  });
  const common = asObj(c.common_http_protocol_options);
  if (!routes) return undefined;
  return {
    statPrefix: asString(c.stat_prefix) ?? '',
    codec: codec as HcmConfig['codec'],
    routes,
    filters,
    router,
    useRemoteAddress: wrappedBool(c.use_remote_address, false),
    skipXffAppend: c.skip_xff_append === true,
    xffTrustedHops: asNumber(c.xff_num_trusted_hops) ?? 0,
    generateRequestId: wrappedBool(c.generate_request_id, true),
    alwaysSetRequestIdInResponse: c.always_set_request_id_in_response === true,
    serverName: asString(c.server_name) || 'envoy',
    serverHeader: (asString(c.server_header_transformation) ??
      'OVERWRITE') as HcmConfig['serverHeader'],
    stripPort:
      c.strip_any_host_port === true
        ? 'any'
        : c.strip_matching_host_port === true
          ? 'matching'
          : 'none',
    upgrades,
    idleTimeoutMs:
      durationMs(common?.idle_timeout, issues, 'common_http_protocol_options.idle_timeout') ??
      3_600_000,
    requestTimeoutMs: durationMs(c.request_timeout, issues, 'request_timeout') ?? 0,
    streamIdleTimeoutMs:
      durationMs(c.stream_idle_timeout, issues, 'stream_idle_timeout') ?? 300_000,
    xfcc: compileXfcc(c, issues),
    via: asString(c.via) || undefined,
    maxHeaderBytes: (wrappedNumber(c.max_request_headers_kb) ?? 60) * 1024,
    accessLog: asArray(c.access_log),
    tracing: c.tracing,
  };
}
