// A cluster at run time: its hosts (from EDS, static config, DNS or original
// destinations), the picker built from them, circuit breakers and outlier detection.
import type { ClusterSpec } from './cluster-spec.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { resolveAddresses } from './dns.ts';
import type { EndpointSpec } from './endpoints.ts';
import { Host } from './host.ts';
import { buildPicker } from './lb/index.ts';
import type { LbContext, LoadBalancer } from './lb/types.ts';
import { OutlierDetector } from './outlier-detector.ts';
import type { PoolOptions } from './types.ts';
import type { SecretStore } from '../tls/secret-store.ts';
import { TransportSelector } from '../tls/transport-socket.ts';

export class Cluster {
  readonly spec: ClusterSpec;
  readonly name: string;
  readonly breaker: CircuitBreaker;
  readonly poolOptions: PoolOptions;
  /** Each endpoint's transport socket (plaintext or TLS), from its metadata. */
  readonly transports: TransportSelector;
  hosts: Host[] = [];
  private lb: LoadBalancer = { choose: () => undefined };
  private readonly outlier: OutlierDetector | null;
  private readonly origDst = new Map<string, Host>();
  private dnsTimer: NodeJS.Timeout | null = null;
  private ready: Promise<void> | null = null;
  private closed = false;

  constructor(spec: ClusterSpec, previous: Cluster | undefined, secrets: SecretStore) {
    this.spec = spec;
    this.transports = new TransportSelector(spec.transports, secrets);
    this.name = spec.name;
    this.breaker = new CircuitBreaker(spec.limits);
    this.poolOptions = {
      connectTimeoutMs: spec.connectTimeoutMs,
      idleTimeoutMs: spec.idleTimeoutMs,
      maxRequestsPerConnection: spec.maxRequestsPerConnection,
      sourceAddress: spec.sourceAddress,
    };
    this.outlier = spec.outlier
      ? new OutlierDetector(
          spec.outlier,
          () => this.hosts,
          () => this.rebuild(),
        )
      : null;
    const reuse = previous?.hosts ?? [];
    if (spec.type === 'STATIC') this.setEndpoints(spec.endpoints, reuse);
    else if (
      spec.type === 'EDS' &&
      previous &&
      previous.spec.edsServiceName === spec.edsServiceName
    )
      this.setEndpoints(previous.endpointSpecs(), reuse);
    else if (spec.type === 'STRICT_DNS' || spec.type === 'LOGICAL_DNS') this.startDns(reuse);
    if (previous && spec.type === previous.spec.type && spec.type !== 'ORIGINAL_DST') {
      // Hosts reused above carry their pools; the old cluster must not close them.
      previous.hosts = previous.hosts.filter((h) => !this.hosts.includes(h));
    }
  }

  /** Whether a request on a downstream of this protocol goes upstream over HTTP/2. */
  useHttp2(downstreamHttp2: boolean): boolean {
    return (
      this.spec.protocol === 'http2' || (this.spec.protocol === 'downstream' && downstreamHttp2)
    );
  }

  /** Resolves once a DNS cluster has its first answer (Envoy's cluster warming); null when ready. */
  whenReady(): Promise<void> | null {
    return this.ready;
  }

  choose(ctx: LbContext): Host | undefined {
    return this.lb.choose(ctx);
  }

  /** ORIGINAL_DST: the host for a destination, created on first use. */
  originalDestinationHost(address: string, port: number): Host {
    const p = this.spec.originalDst.portOverride ?? port;
    const key = `${address}|${p}`;
    let h = this.origDst.get(key);
    if (!h) {
      const spec = endpoint(address, p);
      h = new Host(spec, this.optionsFor(spec));
      this.origDst.set(key, h);
      this.hosts.push(h);
      if (this.origDst.size === 1) this.startOrigDstCleanup();
    }
    h.lastUsed = Date.now();
    return h;
  }

  reportResult(host: Host, status: number): void {
    this.outlier?.report(host, status);
  }

  setEndpoints(specs: readonly EndpointSpec[], reuse: readonly Host[] = this.hosts): void {
    const byKey = new Map<string, Host>();
    for (const h of reuse) byKey.set(`${h.address}|${h.port}`, h);
    const next: Host[] = [];
    for (const s of specs) {
      if (next.some((h) => h.address === s.address && h.port === s.port)) continue;
      const key = `${s.address}|${s.port}`;
      const opts = this.optionsFor(s);
      const existing = byKey.get(key);
      // A host whose transport changed (tlsMode flipped, new TLS context) gets new connections.
      if (existing && existing.sameTransport(opts)) {
        byKey.delete(key);
        existing.update(s);
        next.push(existing);
      } else next.push(new Host(s, opts));
    }
    if (reuse === this.hosts) for (const h of byKey.values()) h.close();
    this.hosts = next;
    this.rebuild();
  }

  /** The pool options of one endpoint: the cluster's, plus its transport socket. */
  private optionsFor(s: EndpointSpec): PoolOptions {
    const transport = this.transports.forEndpoint(s.metadata);
    if (!transport) return this.poolOptions;
    const sni = this.spec.autoSni ? s.hostname : undefined;
    return {
      ...this.poolOptions,
      transport,
      sni,
      sanDns: this.spec.autoSanValidation ? (sni ?? s.hostname) : undefined,
    };
  }

  endpointSpecs(): EndpointSpec[] {
    return this.hosts.map((h) => ({
      address: h.address,
      port: h.port,
      hostname: undefined,
      weight: h.weight,
      health: h.health,
      locality: h.locality,
      localityWeight: h.localityWeight,
      priority: h.priority,
      metadata: h.metadata,
    }));
  }

  private rebuild(): void {
    if (this.closed) return;
    this.lb = buildPicker(this.hosts, {
      policy: this.spec.lbPolicy,
      options: this.spec.lbOptions,
      localityWeighted: this.spec.localityWeighted,
      panicThreshold: this.spec.panicThreshold,
    });
  }

  private startDns(reuse: readonly Host[]): void {
    const resolve = async (): Promise<void> => {
      const specs: EndpointSpec[] = [];
      try {
        for (const ep of this.spec.endpoints) {
          let addrs = await resolveAddresses(ep.address, this.spec.dnsFamily);
          if (this.spec.type === 'LOGICAL_DNS') addrs = addrs.slice(0, 1);
          for (const a of addrs) specs.push({ ...ep, address: a, hostname: ep.address });
        }
      } catch {
        return; // a failed lookup keeps the last answer, as Envoy does
      }
      if (!this.closed) this.setEndpoints(specs, this.hosts.length > 0 ? this.hosts : reuse);
    };
    this.ready = resolve().finally(() => {
      this.ready = null;
      if (this.closed) return;
      this.dnsTimer = setInterval(() => void resolve(), this.spec.dnsRefreshMs);
      this.dnsTimer.unref();
    });
  }

  private startOrigDstCleanup(): void {
    const t = setInterval(() => {
      const cutoff = Date.now() - this.spec.originalDst.cleanupMs;
      for (const [key, h] of this.origDst) {
        if (h.activeRequests === 0 && h.lastUsed < cutoff) {
          this.origDst.delete(key);
          this.hosts = this.hosts.filter((x) => x !== h);
          h.close();
        }
      }
      if (this.origDst.size === 0) clearInterval(t);
    }, this.spec.originalDst.cleanupMs);
    t.unref();
    this.dnsTimer = t;
  }

  close(): void {
    this.closed = true;
    this.outlier?.stop();
    if (this.dnsTimer) clearInterval(this.dnsTimer);
    for (const h of this.hosts) h.close();
    this.hosts = [];
  }
}

function endpoint(address: string, port: number): EndpointSpec {
  return {
    address,
    port,
    hostname: undefined,
    weight: 1,
    health: 'HEALTHY',
    locality: '//',
    localityWeight: 0,
    priority: 0,
    metadata: undefined,
  };
}
