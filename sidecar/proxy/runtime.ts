// What every listener and request shares: the current clusters, the current route
// configurations, the telemetry hook and the original-destination lookup. Config
// swaps replace what these point to; requests already running keep what they took.
import type net from 'node:net';
import type { FilterStats } from './filters/filter-stats.ts';
import type { RequestCompleteHook, RequestRecord } from './record.ts';
import type { RouteTable } from './route/route-table.ts';
import type { ClusterExchanges } from './tcp/cluster-filters.ts';
import type { TcpPeerExchange } from './tcp/metadata-exchange.ts';
import type { SecretStore } from './tls/secret-store.ts';
import type { ClusterManager } from './upstream/cluster-manager.ts';
import type { HeaderMap } from './upstream/types.ts';

export interface OriginalDestination {
  address: string;
  port: number;
}

/**
 * The original destination of a redirected socket (SO_ORIGINAL_DST under iptables
 * REDIRECT). The capture work plugs its implementation in here; undefined means
 * "not redirected", and the socket's local address is its destination.
 */
export type OriginalDestinationResolver = (socket: net.Socket) => OriginalDestination | undefined;

/**
 * Where telemetry meets the data path while a request is under way (the end is
 * onRequestComplete). Hooks may rewrite the header maps they get: Istio's metadata
 * exchange adds and strips headers, tracing adds its context.
 */
export interface TelemetryHooks {
  /** Request headers after Envoy's own headers are applied, before routing; `rec.direction` is set. */
  onRequestHeaders(rec: RequestRecord, headers: HeaderMap): void;
  /** Response headers (upstream or local reply) just before they go downstream. */
  onResponseHeaders(rec: RequestRecord, headers: HeaderMap): void;
  /** A TCP proxy connection reached its upstream. */
  onTcpConnected(rec: RequestRecord): void;
  /** A long TCP connection's running byte counts, every TCP_PROGRESS_INTERVAL_MS (Istio reports every 5 s). */
  onTcpProgress?(rec: RequestRecord): void;
}

export const TCP_PROGRESS_INTERVAL_MS = 5000;

export interface ProxyRuntime {
  readonly clusters: ClusterManager;
  /** SDS secrets by name, for the TLS contexts of filter chains and clusters. */
  readonly secrets: SecretStore;
  routeTable(name: string): RouteTable | undefined;
  onRequestComplete: RequestCompleteHook | undefined;
  /** Telemetry's per-request hooks (peer metadata, trace context); read per request. */
  telemetry: TelemetryHooks | undefined;
  /** Telemetry's side of Istio's TCP metadata exchange; read per connection. */
  peerExchange: TcpPeerExchange | undefined;
  /** The metadata exchange of each cluster that has one (Cluster.filters), replaced per CDS update. */
  clusterExchanges: ClusterExchanges;
  /** The filters' counters under Envoy's names (tcp.rbac.*, metadata_exchange.*). */
  readonly stats: FilterStats;
  originalDestination: OriginalDestinationResolver;
  /** The address a listener's socket binds for its configured address (see bindAddressFor). */
  bindAddress(configured: string): string;
}

const WILDCARD_OR_LOOPBACK = new Set(['0.0.0.0', '::', '127.0.0.1', '::1']);

/**
 * `petrel proxy --bind-ip IP`: listeners configured on a wildcard or loopback address
 * bind IP instead. Several proxies then share one host as if each had its own network
 * namespace (`petrel local` without --capture gives every pod its own loopback IP).
 * Names and filter chain matching keep the configured address.
 */
export function bindAddressFor(bindIp: string | undefined): (configured: string) => string {
  if (!bindIp) return (configured) => configured;
  return (configured) => (WILDCARD_OR_LOOPBACK.has(configured) ? bindIp : configured);
}
