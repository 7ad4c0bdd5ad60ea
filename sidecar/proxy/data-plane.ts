// The proxy's data path behind the agent's DataPlane contract: the agent hands
// over the full set of one xDS type; it is compiled whole and swapped in
// atomically, or rejected whole with `name: field.path: message` lines while the
// previous config keeps serving. Requests in flight keep the config they started with.
import { TypeUrl } from '../../api/envoy/registry.ts';
import type { ApplyResult, DataPlane, EnvoyResource } from '../types.ts';
import type { Obj } from './config/values.ts';
import { ListenerManager } from './listener/listener-manager.ts';
import type { RequestCompleteHook } from './record.ts';
import { compileRouteConfiguration, type RouteTable } from './route/route-table.ts';
import type { OriginalDestinationResolver, ProxyRuntime } from './runtime.ts';
import { ClusterManager } from './upstream/cluster-manager.ts';

export interface DataPlaneOptions {
  /** Telemetry's hook: called once per finished request or TCP connection. */
  onRequestComplete?: RequestCompleteHook;
  /** SO_ORIGINAL_DST lookup from the capture work; without it no socket counts as redirected. */
  originalDestination?: OriginalDestinationResolver;
  /** Listener bind failures found after applyConfig returned (see applyConfigAsync). */
  onListenerError?: (line: string) => void;
}

/** Runtime facts for the admin server (sidecar/admin/sources.ts DataPlaneAdminProvider). */
export interface BoundListener {
  name: string;
  address: string;
  port: number;
}

export class ProxyDataPlane implements DataPlane {
  readonly clusters = new ClusterManager();
  private routes = new Map<string, RouteTable>();
  private readonly runtime: ProxyRuntime;
  private readonly listenersMgr: ListenerManager;
  private lastListenerSettle: Promise<string[]> = Promise.resolve([]);

  constructor(options: DataPlaneOptions = {}) {
    const self = this;
    this.runtime = {
      clusters: this.clusters,
      routeTable: (name) => self.routes.get(name),
      onRequestComplete: options.onRequestComplete,
      originalDestination: safeResolver(options.originalDestination),
    };
    this.listenersMgr = new ListenerManager(this.runtime, options.onListenerError ?? (() => {}));
  }

  /** Telemetry may attach after construction; the hook is read per request. */
  set onRequestComplete(hook: RequestCompleteHook | undefined) {
    this.runtime.onRequestComplete = hook;
  }

  applyConfig(typeUrl: string, resources: ReadonlyMap<string, EnvoyResource>): ApplyResult {
    const res = resources as ReadonlyMap<string, Obj>;
    switch (typeUrl) {
      case TypeUrl.Cluster:
        return { errors: this.clusters.applyClusters(res) };
      case TypeUrl.ClusterLoadAssignment:
        return { errors: this.clusters.applyAssignments(res) };
      case TypeUrl.RouteConfiguration:
        return { errors: this.applyRoutes(res) };
      case TypeUrl.Listener: {
        const { errors, settled } = this.listenersMgr.apply(res);
        if (errors.length === 0) this.lastListenerSettle = settled;
        return { errors };
      }
      case TypeUrl.Secret:
        // Secrets only matter to TLS transport sockets, which listeners and clusters reject for now.
        return { errors: [] };
      default:
        return { errors: [`${typeUrl}: this data path does not take this resource type`] };
    }
  }

  /**
   * applyConfig, then for listeners waits until every new socket is bound: bind
   * failures (port in use) come back as error lines for a NACK.
   */
  async applyConfigAsync(
    typeUrl: string,
    resources: ReadonlyMap<string, EnvoyResource>,
  ): Promise<ApplyResult> {
    const r = this.applyConfig(typeUrl, resources);
    if (r.errors.length > 0 || typeUrl !== TypeUrl.Listener) return r;
    return { errors: await this.lastListenerSettle };
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

  /** Per-host facts for /clusters: active requests and outlier ejection. */
  hostRuntime(
    cluster: string,
    hostAddress: string,
  ): { stats: Record<string, number>; healthFlags: string[] } | undefined {
    const h = this.clusters.get(cluster)?.hosts.find((x) => x.key === hostAddress);
    if (!h) return undefined;
    return {
      stats: { rq_active: h.activeRequests },
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
