// `proxy-config listeners` rows, one per filter chain as istioctl prints them:
// the chain's match (SNI, transport, ALPN, destination prefix/port, or ALL) and
// where it sends traffic (an RDS route name, an inline route, a TCP cluster).
import { arr, obj, str, type DumpedResource, type Json } from './config-dump.ts';
import { compareText } from './table.ts';

export const LISTENER_HEADERS = ['ADDRESSES', 'PORT', 'MATCH', 'DESTINATION'];

const HCM = 'envoy.filters.network.http_connection_manager';
const TCP_PROXY = 'envoy.filters.network.tcp_proxy';

// istioctl's names for Istio's usual ALPN sets.
const ALPN_NAMES: ReadonlyArray<[string, readonly string[]]> = [
  [
    'App: HTTP TLS',
    ['http/1.0', 'http/1.1', 'h2c', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2'],
  ],
  ['App: Istio HTTP Plain', ['istio', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2']],
  ['App: TCP TLS', ['istio-peer-exchange', 'istio']],
  ['App: HTTP', ['http/1.0', 'http/1.1', 'h2c']],
];

function isFilter(filter: Json, name: string, type: string): boolean {
  return str(filter.name) === name || str(obj(filter.typed_config)['@type']).endsWith(`.${type}`);
}

function describeMatch(m: Json): string {
  const parts: string[] = [];
  const sni = arr(m.server_names).map(str);
  if (sni.length) parts.push(`SNI: ${sni.join(',')}`);
  if (str(m.transport_protocol)) parts.push(`Trans: ${str(m.transport_protocol)}`);
  const alpn = arr(m.application_protocols).map(str);
  if (alpn.length) {
    const known = ALPN_NAMES.find(
      ([, set]) => set.length === alpn.length && set.every((p, i) => p === alpn[i]),
    );
    parts.push(known ? known[0] : `App: ${alpn.join(',')}`);
  }
  const port = m.destination_port !== undefined ? `:${str(obj(m.destination_port).value)}` : '';
  const prefixes = arr(m.prefix_ranges).map(
    (p) => `${str(p.address_prefix)}/${str(obj(p.prefix_len).value) || '0'}`,
  );
  if (prefixes.length) parts.push(`Addr: ${prefixes.join(',')}${port}`);
  else if (port) parts.push(`Addr: *${port}`);
  return parts.length ? parts.join('; ') : 'ALL';
}

function clusterText(cluster: string): string {
  return cluster.includes('Cluster') ? cluster : `Cluster: ${cluster}`;
}

/** A route's match as istioctl describes it (headers left out). */
export function routeMatch(match: Json): string {
  if (match.prefix !== undefined) return `${str(match.prefix)}*`;
  if (match.path !== undefined) return str(match.path);
  if (match.path_separated_prefix !== undefined) return `${str(match.path_separated_prefix)}/*`;
  if (match.safe_regex !== undefined) return `regex ${str(obj(match.safe_regex).regex)}`;
  return '';
}

/** An inline route config: its cluster when it sends everything to one, else a summary. */
function describeInlineRoute(config: Json): string {
  const vhosts = arr(config.virtual_hosts);
  const only = vhosts.length === 1 ? vhosts[0]! : undefined;
  const routes = arr(only?.routes);
  const domains = arr(only?.domains).map(str);
  if (only && domains.length === 1 && domains[0] === '*' && routes.length === 1) {
    const r = routes[0]!;
    const cluster = str(obj(r.route).cluster);
    if (str(obj(r.match).prefix) === '/' && cluster) return clusterText(cluster);
  }
  const parts = vhosts.map((vh) => {
    const d = arr(vh.domains).map(str);
    const matches = arr(vh.routes)
      .map((r) => routeMatch(obj(r.match)))
      .join(', ');
    return d.length === 1 && d[0] === '*' ? matches : `${d.join('/')} ${matches}`;
  });
  return `Inline Route: ${parts.join('; ')}`;
}

function describeDestination(filters: Json[]): string {
  for (const f of filters) {
    const config = obj(f.typed_config);
    if (isFilter(f, HCM, 'HttpConnectionManager')) {
      if (config.route_config !== undefined) return describeInlineRoute(obj(config.route_config));
      const rds = str(obj(config.rds).route_config_name);
      return rds ? `Route: ${rds}` : 'HTTP';
    }
    if (isFilter(f, TCP_PROXY, 'TcpProxy')) {
      const cluster = str(config.cluster);
      if (cluster === 'BlackHoleCluster') continue;
      if (cluster) return clusterText(cluster);
      const weighted = arr(obj(config.weighted_clusters).clusters);
      if (weighted.length)
        return `WeightedClusters: ${weighted.map((w) => `${str(w.name)}(${str(w.weight)})`).join(',')}`;
    }
  }
  return 'Non-HTTP/Non-TCP';
}

interface Place {
  addresses: string;
  port: number | undefined;
}

function placeOf(l: DumpedResource): Place {
  const socket = obj(obj(l.resource.address).socket_address);
  if (socket.address !== undefined) {
    const extra = arr(l.resource.additional_addresses).map((a) =>
      str(obj(obj(a.address).socket_address).address),
    );
    return {
      addresses: [str(socket.address), ...extra].filter(Boolean).join(','),
      port: Number(socket.port_value ?? 0),
    };
  }
  // An API listener (proxyless gRPC) has no socket: its name is `host:port`.
  const colon = l.name.lastIndexOf(':');
  const port = colon > 0 ? Number(l.name.slice(colon + 1)) : NaN;
  return Number.isInteger(port)
    ? { addresses: l.name.slice(0, colon), port }
    : { addresses: l.name, port: undefined };
}

export function listenerRows(listeners: readonly DumpedResource[]): string[][] {
  const rows: Array<{ place: Place; match: string; destination: string }> = [];
  for (const l of listeners) {
    const place = placeOf(l);
    const api = obj(obj(l.resource.api_listener).api_listener);
    const chains = [...arr(l.resource.filter_chains)];
    if (l.resource.default_filter_chain !== undefined)
      chains.push(obj(l.resource.default_filter_chain));
    const described = Object.keys(api).length
      ? [{ match: 'ALL', destination: describeDestination([{ typed_config: api, name: HCM }]) }]
      : chains.map((c) => ({
          match: describeMatch(obj(c.filter_chain_match)),
          destination: describeDestination(arr(c.filters)),
        }));
    // istioctl lists a listener's chains by destination, descending.
    described.sort((a, b) => compareText(b.destination, a.destination));
    for (const d of described) rows.push({ place, ...d });
  }
  return rows
    .sort(
      (a, b) =>
        (a.place.port ?? -1) - (b.place.port ?? -1) ||
        compareText(a.place.addresses, b.place.addresses),
    )
    .map((r) => [
      r.place.addresses || '-',
      r.place.port === undefined ? '-' : String(r.place.port),
      r.match,
      r.destination,
    ]);
}
