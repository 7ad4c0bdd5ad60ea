// One upstream endpoint: its address, its load-balancing facts, its outlier state and
// its connection pool (created on first use, kept across config updates that keep it).
import { Http1Pool } from './http1-pool.ts';
import { Http2Pool } from './http2-pool.ts';
import { isPipeAddress } from './endpoints.ts';
import type { EndpointSpec, HealthStatus } from './endpoints.ts';
import type { PoolOptions, UpstreamPool } from './types.ts';

export class Host {
  readonly address: string;
  readonly port: number;
  /** "address:port" ("[v6]:port"), as Envoy prints upstream hosts. */
  readonly key: string;
  weight: number;
  health: HealthStatus;
  locality: string;
  localityWeight: number;
  priority: number;
  metadata: Record<string, unknown> | undefined;

  activeRequests = 0;
  /** Envoy's per-host counters, as /clusters prints them: requests (HTTP attempts) and TCP connections. */
  rqTotal = 0;
  cxTotal = 0;
  /** Outlier detection state, owned by OutlierDetector. */
  ejected = false;
  ejectedUntil = 0;
  ejectionCount = 0;
  consecutive5xx = 0;
  consecutiveGatewayFailure = 0;
  /** Last time the host was used by ORIGINAL_DST clusters (for cleanup). */
  lastUsed = 0;
  /** The verified identity (first URI SAN) of the host's latest TLS connection; '' in plaintext. */
  peerPrincipal = '';

  private readonly poolOptions: PoolOptions;
  private h1: UpstreamPool | null = null;
  private h2: UpstreamPool | null = null;

  constructor(spec: EndpointSpec, poolOptions: PoolOptions) {
    this.address = spec.address;
    this.port = spec.port;
    // Envoy prints a pipe host as its path.
    this.key = isPipeAddress(spec.address)
      ? spec.address
      : spec.address.includes(':')
        ? `[${spec.address}]:${spec.port}`
        : `${spec.address}:${spec.port}`;
    this.weight = spec.weight;
    this.health = spec.health;
    this.locality = spec.locality;
    this.localityWeight = spec.localityWeight;
    this.priority = spec.priority;
    this.metadata = spec.metadata;
    this.poolOptions = poolOptions.transport
      ? { ...poolOptions, onPeer: (p) => (this.peerPrincipal = p) }
      : poolOptions;
  }

  /** TLS to this host, when its transport socket says so. */
  get transport(): PoolOptions['transport'] {
    return this.poolOptions.transport;
  }

  /** The connection options of this host, for TCP proxying and upgrades. */
  get options(): PoolOptions {
    return this.poolOptions;
  }

  /** Hosts excluded by EDS health status never receive traffic (Envoy: UNHEALTHY, DRAINING, TIMEOUT). */
  get usable(): boolean {
    return this.health !== 'UNHEALTHY' && this.health !== 'DRAINING' && this.health !== 'TIMEOUT';
  }

  get available(): boolean {
    return !this.ejected && this.usable;
  }

  /** The HTTP/2 or HTTP/1.1 pool to this host (both exist when the cluster follows the downstream protocol). */
  pool(http2: boolean): UpstreamPool {
    if (http2) return (this.h2 ??= new Http2Pool(this.address, this.port, this.poolOptions));
    return (this.h1 ??= new Http1Pool(this.address, this.port, this.poolOptions));
  }

  /** Takes the fields EDS may change on a host that stays. */
  update(spec: EndpointSpec): void {
    this.weight = spec.weight;
    this.health = spec.health;
    this.locality = spec.locality;
    this.localityWeight = spec.localityWeight;
    this.priority = spec.priority;
    this.metadata = spec.metadata;
  }

  sameTransport(opts: PoolOptions): boolean {
    const o = this.poolOptions;
    return (
      o.connectTimeoutMs === opts.connectTimeoutMs &&
      o.idleTimeoutMs === opts.idleTimeoutMs &&
      o.maxRequestsPerConnection === opts.maxRequestsPerConnection &&
      o.sourceAddress === opts.sourceAddress &&
      o.transport?.key === opts.transport?.key &&
      o.sni === opts.sni &&
      o.sanDns === opts.sanDns
    );
  }

  /** Graceful: in-flight requests finish, then connections close. */
  close(): void {
    this.h1?.close();
    this.h2?.close();
    this.h1 = this.h2 = null;
  }
}
