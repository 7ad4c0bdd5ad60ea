// Semantic views of an xDS snapshot: the parts whose meaning Petrel and Istio must
// agree on, with defaults made explicit and representation choices that do not
// change behaviour folded together. Each folding is one of the intended
// differences listed in test/interop/README.md; everything else is kept, so a
// real difference shows up in the comparison.
import type { EnvoyResource } from '../../../api/envoy/registry.ts';
import { rdsNames, type XdsSnapshot } from './ads-probe.ts';

type Obj = Record<string, any>;

const LB_POLICY_BY_TYPE: Record<string, string> = {
  'envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin': 'ROUND_ROBIN',
  'envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest': 'LEAST_REQUEST',
  'envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash': 'RING_HASH',
  'envoy.extensions.load_balancing_policies.maglev.v3.Maglev': 'MAGLEV',
  'envoy.extensions.load_balancing_policies.random.v3.Random': 'RANDOM',
};

/** An object with its keys sorted, so a failed comparison diffs in a stable order. */
export function byKey<T>(entries: [string, T][]): Record<string, T> {
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A wrapper value (`{ value }`), with Envoy's default when unset; decoding drops zero values. */
function wrapped(w: Obj | undefined, unset: number | string): number | string {
  return w === undefined ? unset : (w.value ?? 0);
}

function lbPolicy(c: Obj): string {
  const typed =
    c.load_balancing_policy?.policies?.[0]?.typed_extension_config?.typed_config?.['@type'];
  if (typeof typed === 'string') return LB_POLICY_BY_TYPE[typed.replace(/^.*\//, '')] ?? typed;
  return c.lb_policy ?? 'ROUND_ROBIN'; // enum zero value, dropped on the wire
}

/** Envoy's own defaults where a threshold is unset (1024, 1024, 1024, 3). */
function thresholds(c: Obj): Obj[] {
  return (c.circuit_breakers?.thresholds ?? []).map((t: Obj) => ({
    priority: t.priority ?? 'DEFAULT',
    max_connections: wrapped(t.max_connections, 1024),
    max_pending_requests: wrapped(t.max_pending_requests, 1024),
    max_requests: wrapped(t.max_requests, 1024),
    max_retries: wrapped(t.max_retries, 3),
    // track_remaining only adds stats: left out on purpose.
  }));
}

/** Which HTTP protocol the cluster speaks upstream. */
function upstreamHttp(c: Obj): Obj {
  const opts =
    c.typed_extension_protocol_options?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
  const explicit = opts?.explicit_http_config;
  const protocol = explicit?.http2_protocol_options
    ? 'h2'
    : explicit?.http_protocol_options
      ? 'h1'
      : opts?.use_downstream_protocol_config
        ? 'downstream'
        : opts?.auto_config
          ? 'auto'
          : c.http2_protocol_options
            ? 'h2'
            : 'h1';
  const common = opts?.common_http_protocol_options ?? c.common_http_protocol_options ?? {};
  return {
    protocol,
    idle_timeout: common.idle_timeout ?? '3600s',
    max_requests_per_connection: wrapped(common.max_requests_per_connection, 'unlimited'),
  };
}

/** Ring sizes and hash with Envoy's (and gRPC's, gRFC A42) defaults written out. */
function ringHash(r: Obj): Obj {
  return {
    minimum_ring_size: wrapped(r.minimum_ring_size, 1024),
    maximum_ring_size: wrapped(r.maximum_ring_size, 8388608),
    hash_function: r.hash_function ?? 'XX_HASH',
  };
}

export function clusterView(c: Obj): Obj {
  const panic = c.common_lb_config?.healthy_panic_threshold;
  return {
    type: c.type ?? c.cluster_type?.name ?? 'STATIC',
    eds_service_name: c.type === 'EDS' ? c.eds_cluster_config?.service_name || c.name : undefined,
    lb_policy: lbPolicy(c),
    // Unset means the defaults for a RING_HASH cluster.
    ring_hash_lb_config:
      lbPolicy(c) === 'RING_HASH' ? ringHash(c.ring_hash_lb_config ?? {}) : undefined,
    least_request_lb_config: c.least_request_lb_config,
    connect_timeout: c.connect_timeout ?? '5s',
    circuit_breakers: thresholds(c),
    outlier_detection: c.outlier_detection,
    healthy_panic_threshold: panic === undefined ? 50 : (panic.value ?? 0),
    upstream_http: upstreamHttp(c),
  };
}

export function clusterViews(snap: XdsSnapshot): Record<string, Obj> {
  return byKey([...snap.clusters].map(([name, c]) => [name, clusterView(c)]));
}

/**
 * Whether traffic to an endpoint is TLS or plaintext, the way Envoy picks the
 * transport socket: the first transport_socket_matches entry whose match is a
 * subset of the endpoint's `envoy.transport_socket_match` metadata, else the
 * cluster's transport_socket. Istio and Petrel mark endpoints differently
 * (Istio: no label means the tlsMode-disabled catch-all; Petrel: explicit
 * tlsMode metadata), so only the outcome is compared.
 */
function endpointTransport(cluster: Obj | undefined, lbEndpoint: Obj): string {
  const labels: Obj = lbEndpoint.metadata?.filter_metadata?.['envoy.transport_socket_match'] ?? {};
  const socketKind = (ts: Obj | undefined): string =>
    ts && String(ts.typed_config?.['@type'] ?? ts.name).includes('tls.v3.UpstreamTlsContext')
      ? 'tls'
      : 'plaintext';
  for (const m of cluster?.transport_socket_matches ?? []) {
    const match: Obj = m.match ?? {};
    if (Object.entries(match).every(([k, v]) => labels[k] === v))
      return socketKind(m.transport_socket);
  }
  return socketKind(cluster?.transport_socket);
}

export function endpointView(cla: Obj, cluster: Obj | undefined): Obj {
  const localities = (cla.endpoints ?? []).map((group: Obj) => {
    const l = group.locality ?? {};
    const endpoints = (group.lb_endpoints ?? []).map((e: Obj) => {
      const sa = e.endpoint?.address?.socket_address ?? {};
      const health = e.health_status ?? 'UNKNOWN';
      return {
        address: `${sa.address}:${sa.port_value}`,
        weight: wrapped(e.load_balancing_weight, 1),
        // Envoy routes to UNKNOWN and HEALTHY alike: Istio leaves it UNKNOWN, Petrel says HEALTHY.
        routable: health === 'UNKNOWN' || health === 'HEALTHY',
        transport: endpointTransport(cluster, e),
      };
    });
    endpoints.sort((a: Obj, b: Obj) => (a.address < b.address ? -1 : 1));
    return {
      locality: [l.region ?? '', l.zone ?? '', l.sub_zone ?? ''].join('/'),
      priority: group.priority ?? 0,
      weight: wrapped(group.load_balancing_weight, 'unset'),
      endpoints,
    };
  });
  localities.sort((a: Obj, b: Obj) =>
    `${a.priority}|${a.locality}` < `${b.priority}|${b.locality}` ? -1 : 1,
  );
  return { localities };
}

export function endpointViews(snap: XdsSnapshot): Record<string, Obj> {
  const clusterByService = new Map<string, Obj>();
  for (const c of snap.clusters.values() as Iterable<Obj>)
    clusterByService.set(c.eds_cluster_config?.service_name || c.name, c);
  return byKey(
    [...snap.endpoints].map(([name, cla]) => [name, endpointView(cla, clusterByService.get(name))]),
  );
}

function matchView(m: Obj): Obj {
  const path = ['prefix', 'path', 'path_separated_prefix'].find((k) => m[k] !== undefined);
  return {
    path: path
      ? { [path]: m[path] }
      : m.safe_regex
        ? { regex: m.safe_regex.regex }
        : m.path_match_policy
          ? { policy: m.path_match_policy }
          : { prefix: '' }, // decoding drops an empty prefix
    case_sensitive: m.case_sensitive === undefined ? true : (m.case_sensitive.value ?? false),
    headers: m.headers ?? [],
    query_parameters: m.query_parameters ?? [],
    grpc: m.grpc !== undefined,
  };
}

function actionView(r: Obj): Obj {
  if (r.route) {
    const a = r.route;
    return {
      route: a.weighted_clusters
        ? {
            weighted: a.weighted_clusters.clusters.map((w: Obj) => ({
              name: w.name,
              weight: wrapped(w.weight, 0),
            })),
          }
        : { cluster: a.cluster ?? a.cluster_header },
      prefix_rewrite: a.prefix_rewrite,
      regex_rewrite: a.regex_rewrite,
      host_rewrite_literal: a.host_rewrite_literal,
      hash_policy: a.hash_policy,
    };
  }
  if (r.redirect) return { redirect: r.redirect };
  if (r.direct_response)
    return { direct_response: { status: r.direct_response.status, body: r.direct_response.body } };
  return {
    other: Object.keys(r).filter((k) => !['match', 'name', 'metadata', 'decorator'].includes(k)),
  };
}

/**
 * Domains as host names: Istio lists each host once and sets
 * ignore_port_in_host_matching, Petrel lists `host` and `host:port`; for the
 * port the route config serves both mean the same set of Host headers.
 */
function domainSet(domains: string[]): string[] {
  return [...new Set(domains.map((d) => d.replace(/:\d+$/, '')))].sort();
}

export function routeConfigView(rc: Obj): Obj {
  const vhosts = (rc.virtual_hosts ?? []).map((vh: Obj) => ({
    name: vh.name,
    domains: domainSet(vh.domains ?? []),
    routes: (vh.routes ?? []).map((r: Obj) => ({
      match: matchView(r.match ?? {}),
      action: actionView(r),
    })),
  }));
  vhosts.sort((a: Obj, b: Obj) => (a.name < b.name ? -1 : 1));
  return { virtual_hosts: vhosts };
}

export function routeViews(snap: XdsSnapshot): Record<string, Obj> {
  return byKey([...snap.routes].map(([name, rc]) => [name, routeConfigView(rc)]));
}

/** Where one network filter sends a connection: HTTP to a route config, or TCP to clusters. */
function filterDestination(f: Obj): string | undefined {
  const tc = f.typed_config ?? {};
  const type = String(tc['@type'] ?? '');
  if (type.endsWith('.HttpConnectionManager')) {
    if (tc.rds) return `http rds:${tc.rds.route_config_name}`;
    return `http inline:${routedClustersOf(tc.route_config).join(',')}`;
  }
  if (type.endsWith('.TcpProxy')) {
    const weighted = (tc.weighted_clusters?.clusters ?? []).map(
      (w: Obj) => `${w.name}*${wrapped(w.weight, 0)}`,
    );
    return `tcp:${tc.cluster ?? weighted.join(',')}`;
  }
  return undefined;
}

function routedClustersOf(rc: Obj | undefined): string[] {
  const names = new Set<string>();
  for (const vh of rc?.virtual_hosts ?? [])
    for (const r of vh.routes ?? []) {
      if (r.route?.cluster) names.add(r.route.cluster);
      for (const w of r.route?.weighted_clusters?.clusters ?? []) names.add(w.name);
    }
  return [...names].sort();
}

/**
 * Listener name → every place its filter chains (default chain included) can
 * send a connection: `http rds:<name>`, `http inline:<clusters>`, `tcp:<cluster>`.
 * How chains are matched is representation (Istio matches on sniffed ALPN and
 * transport, Petrel on its own); what traffic can reach is compared.
 */
export function listenerViews(snap: XdsSnapshot): Record<string, string[]> {
  return byKey(
    [...snap.listeners].map(([name, l]: [string, Obj]) => {
      const chains = [
        ...(l.filter_chains ?? []),
        ...(l.default_filter_chain ? [l.default_filter_chain] : []),
      ];
      const api = l.api_listener?.api_listener;
      const filters = [
        ...chains.flatMap((c: Obj) => c.filters ?? []),
        ...(api ? [{ typed_config: api }] : []),
      ];
      const destinations = new Set(
        filters.map(filterDestination).filter((d): d is string => d !== undefined),
      );
      return [name, [...destinations].sort()];
    }),
  );
}

/** Listener name → the route configuration it reaches (by content, whatever its name). */
export function routesByListener(snap: XdsSnapshot): Record<string, Obj[]> {
  return byKey(
    [...snap.listeners].map(([name, l]) => [
      name,
      rdsNames([l as EnvoyResource]).map((rds) => {
        const rc = snap.routes.get(rds);
        return rc ? routeConfigView(rc) : { missing: rds };
      }),
    ]),
  );
}
