// DestinationRule connectionPool settings other than the circuit breakers: connect
// timeout, idle timeout, requests per connection, connection lifetime, TCP
// keepalive, and the upstream protocol choice (useClientProtocol, h2UpgradePolicy).
import type { ConnectionPoolSettings } from '../../../api/istio/index.ts';
import type { ServicePort } from '../../model/types.ts';
import { envoyDuration, parseDurationMs } from '../../../api/istio/duration.ts';
import { goDuration, u32 } from '../common/envoy.ts';
import { circuitBreakers } from './circuit-breakers.ts';
import type { ClusterDraft } from './draft.ts';

export function applyConnectionPool(
  draft: ClusterDraft,
  pool: ConnectionPoolSettings | undefined,
  meshConnectTimeoutMs: number,
): void {
  const { cluster, http } = draft;
  cluster.connect_timeout =
    goDuration(pool?.tcp?.connectTimeout) ?? envoyDuration(meshConnectTimeoutMs);
  cluster.circuit_breakers = circuitBreakers(pool);

  const idle = pool?.http?.idleTimeout ?? pool?.tcp?.idleTimeout;
  if (idle) http.common.idle_timeout = goDuration(idle);
  if (pool?.http?.maxRequestsPerConnection)
    http.common.max_requests_per_connection = u32(pool.http.maxRequestsPerConnection);
  if (pool?.tcp?.maxConnectionDuration)
    http.common.max_connection_duration = goDuration(pool.tcp.maxConnectionDuration);
  if (pool?.http?.maxConcurrentStreams)
    http.http2.max_concurrent_streams = u32(pool.http.maxConcurrentStreams);
  if (pool?.http?.useClientProtocol) http.protocol = 'downstream';

  const keepalive = pool?.tcp?.tcpKeepalive;
  if (keepalive) {
    const tcp: Record<string, unknown> = {};
    if (keepalive.probes !== undefined) tcp.keepalive_probes = u32(keepalive.probes);
    // Envoy counts keepalive time and interval in whole seconds.
    if (keepalive.time) tcp.keepalive_time = u32(wholeSeconds(keepalive.time));
    if (keepalive.interval) tcp.keepalive_interval = u32(wholeSeconds(keepalive.interval));
    cluster.upstream_connection_options = { tcp_keepalive: tcp };
  }
}

function wholeSeconds(text: string): number {
  return Math.max(1, Math.trunc((parseDurationMs(text) ?? 0) / 1000));
}

const HTTP2_PROTOCOLS = new Set(['HTTP2', 'GRPC', 'GRPC-WEB']);

/**
 * The upstream protocol a port implies, applied before the connection pool (whose
 * useClientProtocol may override it): HTTP/2 for HTTP2/gRPC ports, the client's
 * protocol for ports of unknown protocol on sidecars (Istio's sniffing fallback).
 */
export function applyPortProtocol(
  draft: ClusterDraft,
  port: ServicePort | undefined,
  sidecar: boolean,
): void {
  if (port && HTTP2_PROTOCOLS.has(port.protocol)) draft.http.protocol = 'h2';
  else if (port?.protocol === 'UNSPECIFIED' && sidecar) draft.http.protocol = 'downstream';
}

/** DestinationRule h2UpgradePolicy UPGRADE: the user vouches the port speaks HTTP, so use HTTP/2. */
export function applyH2Upgrade(
  draft: ClusterDraft,
  pool: ConnectionPoolSettings | undefined,
): void {
  if (pool?.http?.h2UpgradePolicy === 'UPGRADE') draft.http.protocol = 'h2';
}
