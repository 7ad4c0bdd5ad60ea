// The proxy's data path behind the agent's DataPlane contract: the agent hands
// over the full set of one xDS type; it is compiled whole and swapped in
// atomically, or rejected whole with `name: field.path: message` lines while the
// previous config keeps serving. Requests in flight keep the config they started with.
import { TypeUrl } from '../../api/envoy/registry.ts';
import type { ApplyResult, DataPlane, EnvoyResource } from '../types.ts';
import type { Obj } from './config/values.ts';
import { CounterMap } from './filters/filter-stats.ts';
import { ListenerManager } from './listener/listener-manager.ts';
import type { RequestCompleteHook } from './record.ts';
import { compileRouteConfiguration, type RouteTable } from './route/route-table.ts';
import {
  bindAddressFor,
  type OriginalDestinationResolver,
  type ProxyRuntime,
  type TelemetryHooks,
} from './runtime.ts';
import { compileClusterFilters } from './tcp/cluster-filters.ts';
import type { TcpPeerExchange } from './tcp/metadata-exchange.ts';
import { SecretStore } from './tls/secret-store.ts';
import { ClusterManager } from './upstream/cluster-manager.ts';

export interface DataPlaneOptions {
  /** Telemetry's hook: called once per finished request or TCP connection. */
  onRequestComplete?: RequestCompleteHook;
  /** Telemetry's per-request header and TCP hooks (runtime.ts TelemetryHooks). */
  telemetry?: TelemetryHooks;
  /** SO_ORIGINAL_DST lookup from the capture work; without it no socket counts as redirected. */
  originalDestination?: OriginalDestinationResolver;
  /** Listener bind failures, also returned in ApplyResult.pending for the agent's NACK. */
  onListenerError?: (line: string) => void;
  /** Config fields accepted but not acted on (`resource: field.path: message`), once each. */
  onConfigWarning?: (line: string) => void;
  /** Telemetry's side of Istio's TCP metadata exchange (settable later: `peerExchange`). */
  peerExchange?: TcpPeerExchange;
  /** Bind wildcard and loopback listeners on this address instead (runtime.ts bindAddressFor). */
  bindIp?: string;
  /**
   * False for a proxy without a mesh CA: it will never have the workload certificate,
   * so auto mTLS falls back to plaintext (tls/secret-store.ts). Default true.
   */
  workloadIdentity?: boolean;
}

/** Runtime facts for the admin server (sidecar/admin/sources.ts DataPlaneAdminProvider). */
export interface BoundListener {
  name: string;
  address: string;
  port: number;
}

export class ProxyDataPlane implements DataPlane {
  /** SDS secrets (the workload identity's and pilot's, merged by sidecar/identity SecretMerge). */
  readonly secrets: SecretStore;
  readonly clusters: ClusterManager;
  private routes = new Map<string, RouteTable>();
  private readonly runtime: ProxyRuntime;
  private readonly listenersMgr: ListenerManager;

  constructor(options: DataPlaneOptions = {}) {
    this.secrets = new SecretStore({ workloadIdentity: options.workloadIdentity });
    this.secrets.onWarning = options.onConfigWarning;
    this.clusters = new ClusterManager(this.secrets);
    this.clusters.onConfigWarning = options.onConfigWarning;
    const self = this;
    this.runtime = {
      clusters: this.clusters,
      secrets: this.secrets,
      routeTable: (name) => self.routes.get(name),
      onRequestComplete: options.onRequestComplete,
      telemetry: options.telemetry,
      peerExchange: options.peerExchange,
      clusterExchanges: new Map(),
      stats: new CounterMap(),
      originalDestination: safeResolver(options.originalDestination),
      bindAddress: bindAddressFor(options.bindIp),
    };
    this.listenersMgr = new ListenerManager(this.runtime, options.onListenerError ?? (() => {}));
  }

  /** Telemetry may attach after construction; the hook is read per request. */
  set onRequestComplete(hook: RequestCompleteHook | undefined) {
    this.runtime.onRequestComplete = hook;
  }

  /** Likewise the per-request telemetry hooks. */
  set telemetry(hooks: TelemetryHooks | undefined) {
    this.runtime.telemetry = hooks;
  }

  applyConfig(typeUrl: string, resources: ReadonlyMap<string, EnvoyResource>): ApplyResult {
    const res = resources as ReadonlyMap<string, Obj>;
    switch (typeUrl) {
      case TypeUrl.Cluster: {
        // Cluster.filters (Istio's upstream metadata exchange) are the TCP proxy's part.
        const filters = compileClusterFilters(res);
        if (filters.errors.length > 0) return { errors: filters.errors };
        const errors = this.clusters.applyClusters(res);
        if (errors.length === 0) this.runtime.clusterExchanges = filters.exchanges;
        return { errors };
      }
      case TypeUrl.ClusterLoadAssignment:
        return { errors: this.clusters.applyAssignments(res) };
      case TypeUrl.RouteConfiguration:
        return { errors: this.applyRoutes(res) };
      case TypeUrl.Listener: {
        // Sockets bind asynchronously: bind failures (port in use) arrive in `pending`,
        // and the agent NACKs them as Envoy does, the rest of the update staying applied.
        const { errors, settled } = this.listenersMgr.apply(res);
        return errors.length === 0 && settled ? { errors, pending: settled } : { errors };
      }
      case TypeUrl.Secret:
        // TLS contexts read secrets at handshake time: new connections get the new set.
        return { errors: this.secrets.apply(res) };
      default:
        return { errors: [`${typeUrl}: this data path does not take this resource type`] };
    }
  }

  /** applyConfig, then waits for what settles later (listener binds) and joins the errors. */
  async applyConfigAsync(
    typeUrl: string,
    resources: ReadonlyMap<string, EnvoyResource>,
  ): Promise<ApplyResult> {
    const r = this.applyConfig(typeUrl, resources);
    return { errors: [...r.errors, ...((await r.pending) ?? [])] };
  }

  /** Telemetry's side of Istio's TCP metadata exchange (what we send, how to read a peer). */
  set peerExchange(x: TcpPeerExchange | undefined) {
    this.runtime.peerExchange = x;
  }

  /** The data path's own counters under Envoy's names (tcp.rbac.*, metadata_exchange.*), for /stats. */
  stats(): { name: string; value: number; type: 'counter' }[] {
    return [...this.runtime.stats.entries()].map(([name, value]) => ({
      name,
      value,
      type: 'counter',
    }));
  }

  private applyRoutes(resources: ReadonlyMap<string, Obj>): string[] {
    const errors: string[] = [];
    const next = new Map<string, RouteTable>();
    for (const [name, rc] of resources) {
      const { table, errors: e } = compileRouteConfiguration(name, rc);
      errors.push(...e.map((l) => `${name}: ${l}`));
      next.set(name, table);
    }
    if (errors.length > 0) return errors;
    this.routes = next;
    return [];
  }

  /** Where a listener is bound (the real port when the config said 0). */
  listenerAddress(name: string): { address: string; port: number } | undefined {
    return this.listenersMgr.get(name)?.boundAddress;
  }

  listeners(): BoundListener[] {
    return this.listenersMgr
      .all()
      .flatMap((l) => (l.boundAddress ? [{ name: l.name, ...l.boundAddress }] : []));
  }

  /** Per-host facts for /clusters: request and connection counts, active requests, outlier ejection. */
  hostRuntime(
    cluster: string,
    hostAddress: string,
  ): { stats: Record<string, number>; healthFlags: string[] } | undefined {
    const h = this.clusters.get(cluster)?.hosts.find((x) => x.key === hostAddress);
    if (!h) return undefined;
    return {
      stats: { rq_active: h.activeRequests, rq_total: h.rqTotal, cx_total: h.cxTotal },
      healthFlags: h.ejected ? ['failed_outlier_check'] : [],
    };
  }

  /** Stops accepting connections; resolves when open connections have finished (or `maxMs` passed). */
  async drain(maxMs = 5000): Promise<void> {
    this.listenersMgr.drain();
    const deadline = Date.now() + maxMs;
    while (Date.now() < deadline && this.listenersMgr.all().some((l) => l.activeConnections > 0)) {
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): void {
    this.listenersMgr.close();
    this.clusters.close();
  }
}

/** A resolver that fails (no capture, odd socket) must not take a connection handler down. */
function safeResolver(r: OriginalDestinationResolver | undefined): OriginalDestinationResolver {
  if (!r) return () => undefined;
  return (socket) => {
    try {
      return r(socket);
    } catch {
      return undefined;
    }
  };
}
