// Compiles an envoy.config.cluster.v3.Cluster into the facts the runtime needs,
// reporting every field it cannot honour.
import { isIP } from 'node:net';
import type { Issues } from '../config/issues.ts';
import {
  anyTypeName,
  asArray,
  asNumber,
  asObj,
  asString,
  durationMs,
  isObj,
  percent,
  wrappedNumber,
  type Obj,
} from '../config/values.ts';
import { DEFAULT_LIMITS, type CircuitBreakerLimits } from './circuit-breaker.ts';
import { parseLoadAssignment, type EndpointSpec } from './endpoints.ts';
import type { LbOptions, LbPolicy } from './lb/types.ts';
import type { OutlierSpec } from './outlier-detector.ts';
import { compileUpstreamTransports, type UpstreamTransports } from '../tls/transport-socket.ts';

export type ClusterType = 'STATIC' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'EDS' | 'ORIGINAL_DST';
export type UpstreamProtocol = 'http1' | 'http2' | 'downstream';
export type DnsFamily = 'AUTO' | 'V4_ONLY' | 'V6_ONLY' | 'V4_PREFERRED' | 'ALL';

export interface ClusterSpec {
  name: string;
  type: ClusterType;
  edsServiceName: string;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** max_requests_per_connection: requests (streams) one upstream connection carries; 0 = no limit. */
  maxRequestsPerConnection: number;
  protocol: UpstreamProtocol;
  lbPolicy: LbPolicy;
  lbOptions: LbOptions;
  localityWeighted: boolean;
  panicThreshold: number;
  limits: CircuitBreakerLimits;
  outlier: OutlierSpec | undefined;
  endpoints: EndpointSpec[];
  dnsRefreshMs: number;
  dnsFamily: DnsFamily;
  /** upstream_bind_config.source_address.address, when set. */
  sourceAddress: string | undefined;
  /** The cluster's metadata as received (Istio's `filter_metadata.istio.services` is read by telemetry). */
  metadata: Record<string, unknown> | undefined;
  /** transport_socket and transport_socket_matches: plaintext or TLS, per endpoint. */
  transports: UpstreamTransports;
  /**
   * upstream_http_protocol_options auto_sni / auto_san_validation. Envoy takes the SNI
   * from each request's Host; pools here are per host, so the SNI is the endpoint's
   * DNS name (the Host of the egress requests these options are made for).
   */
  autoSni: boolean;
  autoSanValidation: boolean;
  originalDst: {
    useHttpHeader: boolean;
    headerName: string;
    portOverride: number | undefined;
    cleanupMs: number;
  };
}

const TYPES = new Set(['STATIC', 'STRICT_DNS', 'LOGICAL_DNS', 'EDS', 'ORIGINAL_DST']);
const POLICIES = new Set(['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'RING_HASH', 'MAGLEV']);
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

export function compileCluster(name: string, c: Obj, issues: Issues): ClusterSpec {
  if (c.cluster_type !== undefined)
    issues.add('custom cluster types (cluster_type) are not supported', 'cluster_type');
  const type = (asString(c.type) ?? 'STATIC') as ClusterType;
  if (!TYPES.has(type)) issues.add(`cluster type ${String(c.type)} is not supported`, 'type');
  let lbPolicy = (asString(c.lb_policy) ?? 'ROUND_ROBIN') as string;
  if (type === 'ORIGINAL_DST') {
    if (lbPolicy !== 'CLUSTER_PROVIDED' && lbPolicy !== 'ROUND_ROBIN')
      issues.add(
        `ORIGINAL_DST clusters need lb_policy CLUSTER_PROVIDED, got ${lbPolicy}`,
        'lb_policy',
      );
    lbPolicy = 'ROUND_ROBIN';
  } else if (!POLICIES.has(lbPolicy)) {
    issues.add(`lb_policy ${lbPolicy} is not supported`, 'lb_policy');
    lbPolicy = 'ROUND_ROBIN';
  }
  const eds = asObj(c.eds_cluster_config);
  const ring = asObj(c.ring_hash_lb_config) ?? {};
  const common = asObj(c.common_lb_config) ?? {};
  if (common.zone_aware_lb_config !== undefined)
    issues.add(
      'zone aware load balancing is not supported',
      'common_lb_config.zone_aware_lb_config',
    );
  const maglevSize = wrappedNumber(asObj(c.maglev_lb_config)?.table_size) ?? 65537;
  if (!isPrime(maglevSize))
    issues.add(`table_size must be prime, got ${maglevSize}`, 'maglev_lb_config.table_size');
  const odCfg = asObj(c.original_dst_lb_config) ?? {};
  const spec: ClusterSpec = {
    name,
    type,
    edsServiceName: asString(eds?.service_name) || name,
    connectTimeoutMs: durationMs(c.connect_timeout, issues, 'connect_timeout') ?? 5000,
    idleTimeoutMs: 3_600_000,
    // The deprecated Cluster field; HttpProtocolOptions' common options override it.
    maxRequestsPerConnection: wrappedNumber(c.max_requests_per_connection) ?? 0,
    protocol: 'http1',
    lbPolicy: lbPolicy as LbPolicy,
    lbOptions: {
      choiceCount: wrappedNumber(asObj(c.least_request_lb_config)?.choice_count) ?? 2,
      ringMin: asNumber(wrappedNumber(ring.minimum_ring_size)) ?? 1024,
      ringMax: asNumber(wrappedNumber(ring.maximum_ring_size)) ?? 8 * 1024 * 1024,
      maglevTableSize: maglevSize,
    },
    localityWeighted: common.locality_weighted_lb_config !== undefined,
    panicThreshold: percent(common.healthy_panic_threshold, 0.5) * 100,
    limits: compileCircuitBreakers(c.circuit_breakers, issues.at('circuit_breakers')),
    outlier:
      c.outlier_detection === undefined
        ? undefined
        : compileOutlier(asObj(c.outlier_detection) ?? {}, issues.at('outlier_detection')),
    endpoints:
      c.load_assignment === undefined
        ? []
        : parseLoadAssignment(c.load_assignment, issues.at('load_assignment')),
    dnsRefreshMs: durationMs(c.dns_refresh_rate, issues, 'dns_refresh_rate') ?? 5000,
    dnsFamily: (asString(c.dns_lookup_family) ?? 'AUTO') as DnsFamily,
    sourceAddress: compileBindConfig(c.upstream_bind_config, issues.at('upstream_bind_config')),
    metadata: asObj(c.metadata),
    transports: compileUpstreamTransports(c, issues),
    autoSni: false,
    autoSanValidation: false,
    originalDst: {
      useHttpHeader: odCfg.use_http_header === true,
      headerName: (asString(odCfg.http_header_name) || 'x-envoy-original-dst-host').toLowerCase(),
      portOverride: wrappedNumber(odCfg.upstream_port_override),
      cleanupMs: durationMs(c.cleanup_interval, issues, 'cleanup_interval') ?? 5000,
    },
  };
  compileProtocol(c, spec, issues);
  if (type === 'EDS' && !eds)
    issues.add('EDS clusters need eds_cluster_config', 'eds_cluster_config');
  // A STATIC cluster may have no hosts at all: Istio's BlackHoleCluster is exactly
  // that, and Envoy accepts it. DNS clusters need names to resolve.
  if ((type === 'STRICT_DNS' || type === 'LOGICAL_DNS') && c.load_assignment === undefined) {
    issues.add(`${type} clusters need load_assignment`, 'load_assignment');
  }
  if (type === 'LOGICAL_DNS' && spec.endpoints.length > 1)
    issues.add('LOGICAL_DNS clusters take exactly one endpoint', 'load_assignment');
  if (c.health_checks !== undefined && asArray(c.health_checks).length > 0)
    issues.add('active health checks are not supported', 'health_checks');
  if (c.lrs_server !== undefined)
    issues.add('load reporting (lrs_server) is not supported', 'lrs_server');
  if (c.load_balancing_policy !== undefined)
    issues.add('load_balancing_policy is not supported; use lb_policy', 'load_balancing_policy');
  return spec;
}

function compileProtocol(c: Obj, spec: ClusterSpec, issues: Issues): void {
  if (c.http2_protocol_options !== undefined) spec.protocol = 'http2';
  const common = asObj(c.common_http_protocol_options);
  const ext = asObj(c.typed_extension_protocol_options);
  if (ext) {
    for (const [key, cfg] of Object.entries(ext)) {
      const t = anyTypeName(cfg);
      if (t !== HTTP_OPTIONS) {
        issues.add(
          `protocol options ${t ?? 'without @type'} are not supported`,
          `typed_extension_protocol_options["${key}"]`,
        );
        continue;
      }
      const o = cfg as Obj;
      const explicit = asObj(o.explicit_http_config);
      if (explicit)
        spec.protocol = explicit.http2_protocol_options !== undefined ? 'http2' : 'http1';
      else if (o.use_downstream_protocol_config !== undefined) spec.protocol = 'downstream';
      else if (o.auto_config !== undefined) spec.protocol = 'http1'; // ALPN needs TLS; cleartext auto means HTTP/1.1
      const up = asObj(o.upstream_http_protocol_options);
      if (up) {
        spec.autoSni = up.auto_sni === true;
        spec.autoSanValidation = up.auto_san_validation === true;
        if (up.override_auto_sni_header !== undefined)
          issues.add(
            'override_auto_sni_header is not supported',
            `typed_extension_protocol_options["${key}"].upstream_http_protocol_options.override_auto_sni_header`,
          );
      }
      const ch = asObj(o.common_http_protocol_options);
      if (ch)
        applyCommon(
          ch,
          spec,
          issues
            .at(`typed_extension_protocol_options["${key}"]`)
            .at('common_http_protocol_options'),
        );
    }
  }
  if (common) applyCommon(common, spec, issues.at('common_http_protocol_options'));
}

function applyCommon(ch: Obj, spec: ClusterSpec, issues: Issues): void {
  const idle = durationMs(ch.idle_timeout, issues, 'idle_timeout');
  if (idle !== undefined) spec.idleTimeoutMs = idle === 0 ? 0 : idle;
  const maxRequests = wrappedNumber(ch.max_requests_per_connection);
  if (maxRequests !== undefined) spec.maxRequestsPerConnection = maxRequests;
  // Pilot sends max_connection_duration for a DestinationRule's tcp.maxConnectionDuration.
  for (const field of IGNORED_COMMON_OPTIONS)
    if (ch[field] !== undefined) issues.warn("not supported by Petrel's proxy (ignored)", field);
}

/** HttpProtocolOptions.common_http_protocol_options fields accepted but not acted on. */
const IGNORED_COMMON_OPTIONS = [
  'max_connection_duration',
  'max_stream_duration',
  'max_headers_count',
  'max_response_headers_kb',
  'headers_with_underscores_action',
];

/**
 * Istio binds inbound clusters to 127.0.0.6 so the capture rules let the proxy's
 * forwarded traffic reach the app instead of sending it back to 15006. Only the
 * source IP is honoured: a fixed port would allow one connection per pool.
 */
function compileBindConfig(v: unknown, issues: Issues): string | undefined {
  const bind = asObj(v);
  if (!bind) return undefined;
  const src = asObj(bind.source_address);
  const port = asNumber(src?.port_value) ?? 0;
  if (port !== 0)
    issues.add('a fixed source port is not supported (use 0)', 'source_address.port_value');
  if (asObj(bind.freebind)?.value === true) issues.add('freebind is not supported', 'freebind');
  for (const f of ['socket_options', 'extra_source_addresses', 'additional_source_addresses'])
    if (asArray(bind[f]).length > 0) issues.add(`${f} are not supported`, f);
  if (bind.local_address_selector !== undefined)
    issues.add('local_address_selector is not supported', 'local_address_selector');
  const address = asString(src?.address);
  if (address !== undefined && isIP(address) === 0)
    issues.add(`source address ${address} is not an IP address`, 'source_address.address');
  return address && isIP(address) !== 0 ? address : undefined;
}

function compileCircuitBreakers(v: unknown, issues: Issues): CircuitBreakerLimits {
  const limits = { ...DEFAULT_LIMITS };
  const cb = asObj(v);
  if (!cb) return limits;
  if (cb.per_host_thresholds !== undefined)
    issues.add('per_host_thresholds are not supported', 'per_host_thresholds');
  asArray(cb.thresholds).forEach((t, i) => {
    if (!isObj(t)) return;
    if ((asString(t.priority) ?? 'DEFAULT') !== 'DEFAULT') return; // routes here are all DEFAULT priority
    if (t.retry_budget !== undefined)
      issues.add('retry_budget is not supported', `thresholds[${i}].retry_budget`);
    limits.maxConnections = wrappedNumber(t.max_connections) ?? limits.maxConnections;
    limits.maxPendingRequests = wrappedNumber(t.max_pending_requests) ?? limits.maxPendingRequests;
    limits.maxRequests = wrappedNumber(t.max_requests) ?? limits.maxRequests;
    limits.maxRetries = wrappedNumber(t.max_retries) ?? limits.maxRetries;
  });
  return limits;
}

function compileOutlier(o: Obj, issues: Issues): OutlierSpec {
  const n = (v: unknown, d: number): number => wrappedNumber(v) ?? d;
  const baseEjectionMs = durationMs(o.base_ejection_time, issues, 'base_ejection_time') ?? 30_000;
  if (
    n(o.enforcing_failure_percentage, 0) > 0 ||
    n(o.enforcing_failure_percentage_local_origin, 0) > 0
  ) {
    issues.add('failure percentage ejection is not supported', 'enforcing_failure_percentage');
  }
  return {
    intervalMs: Math.max(1, durationMs(o.interval, issues, 'interval') ?? 10_000),
    baseEjectionMs,
    maxEjectionMs:
      durationMs(o.max_ejection_time, issues, 'max_ejection_time') ??
      Math.max(300_000, baseEjectionMs),
    maxEjectionPercent: n(o.max_ejection_percent, 10),
    consecutive5xx: n(o.consecutive_5xx, 5),
    enforcing5xx: n(o.enforcing_consecutive_5xx, 100),
    consecutiveGateway: n(o.consecutive_gateway_failure, 5),
    enforcingGateway: n(o.enforcing_consecutive_gateway_failure, 0),
    splitLocalOrigin: o.split_external_local_origin_errors === true,
    consecutiveLocal: n(o.consecutive_local_origin_failure, 5),
    enforcingLocal: n(o.enforcing_consecutive_local_origin_failure, 100),
    successRateMinHosts: n(o.success_rate_minimum_hosts, 5),
    successRateVolume: n(o.success_rate_request_volume, 100),
    successRateStdevFactor: n(o.success_rate_stdev_factor, 1900),
    enforcingSuccessRate: n(o.enforcing_success_rate, 100),
  };
}

function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  for (let i = 2; i * i <= n; i++) if (n % i === 0) return false;
  return true;
}
