// The destination_service / destination_service_name labels, resolved as Istio's
// stats filter does (istio/proxy istio_stats.cc populatePeerInfo): the Host header
// first, then the upstream cluster's `istio` metadata (`services[0].host`/`.name`),
// with the special clusters and the `block_all`/`allow_any` routes named as such.
// Results are cached and shared, so a request costs a Map lookup or two.
import type { EnvoyResource } from '../types.ts';

/** One entry of a cluster's `filter_metadata.istio.services` (what pilot writes). */
export interface ServiceRef {
  host: string;
  name?: string;
  namespace?: string;
}

/** The data path's view of cluster metadata: the service behind a cluster name, if known. */
export type ClusterServiceLookup = (clusterName: string) => ServiceRef | undefined;

/** Raw values before the reporter's `unknown` fallbacks; '' where nothing is known. */
export interface DestinationService {
  readonly host: string;
  readonly name: string;
}

const SPECIAL_CLUSTERS = new Set([
  'BlackHoleCluster',
  'PassthroughCluster',
  'InboundPassthroughCluster',
  'InboundPassthroughClusterIpv4',
  'InboundPassthroughClusterIpv6',
]);

/** `filter_metadata.istio.services[0]` of a Cluster resource in Petrel's object form. */
export function serviceFromClusterResource(cluster: EnvoyResource): ServiceRef | undefined {
  const md = cluster.metadata as { filter_metadata?: Record<string, unknown> } | undefined;
  const istio = md?.filter_metadata?.istio as { services?: unknown } | undefined;
  const first = Array.isArray(istio?.services)
    ? (istio.services[0] as Record<string, unknown>)
    : undefined;
  if (!first || typeof first.host !== 'string') return undefined;
  return {
    host: first.host,
    name: typeof first.name === 'string' ? first.name : undefined,
    namespace: typeof first.namespace === 'string' ? first.namespace : undefined,
  };
}

/**
 * Istio's outbound cluster name `outbound|PORT|SUBSET|HOST` gives the host when
 * the data path has no cluster metadata to offer (pilot writes the same host there).
 */
function hostFromClusterName(cluster: string): string | undefined {
  if (!cluster.startsWith('outbound|')) return undefined;
  const host = cluster.slice(cluster.lastIndexOf('|') + 1);
  return host || undefined;
}

interface ClusterEntry {
  /** Set when the cluster alone decides both values. */
  fixed: DestinationService | undefined;
  /** Otherwise the Host header matters, per authority. */
  byAuthority: Map<string, DestinationService>;
  metaHost: string | undefined;
  metaName: string | undefined;
}

export class DestinationServiceResolver {
  private readonly lookup: ClusterServiceLookup | undefined;
  private readonly hostFallback: boolean;
  private readonly clusters = new Map<string, ClusterEntry>();
  private readonly routes = new Map<string, Map<string, DestinationService>>();

  /** `hostHeaderFallback` false is Istio's disable_host_header_fallback. */
  constructor(lookup?: ClusterServiceLookup, hostHeaderFallback = true) {
    this.lookup = lookup;
    this.hostFallback = hostHeaderFallback;
  }

  /** Forget cached clusters (call on a CDS update: metadata may have changed). */
  clear(): void {
    this.clusters.clear();
    this.routes.clear();
  }

  resolve(cluster: string, routeName: string, authority: string): DestinationService {
    const hostHeader = this.hostFallback ? authority : '';
    if (routeName === 'block_all' || routeName === 'allow_any') {
      let m = this.routes.get(routeName);
      if (!m) this.routes.set(routeName, (m = new Map()));
      let d = m.get(hostHeader);
      if (!d) {
        d = {
          host: hostHeader,
          name: routeName === 'block_all' ? 'BlackHoleCluster' : 'PassthroughCluster',
        };
        m.set(hostHeader, d);
      }
      return d;
    }
    let e = this.clusters.get(cluster);
    if (!e) {
      e = this.entryFor(cluster);
      this.clusters.set(cluster, e);
    }
    if (e.fixed) return e.fixed;
    let d = e.byAuthority.get(hostHeader);
    if (!d) {
      const host = e.metaHost ?? hostHeader;
      const name = SPECIAL_CLUSTERS.has(cluster) ? cluster : (e.metaName ?? hostHeader);
      d = { host, name };
      e.byAuthority.set(hostHeader, d);
    }
    return d;
  }

  private entryFor(cluster: string): ClusterEntry {
    const entry: ClusterEntry = {
      fixed: undefined,
      byAuthority: new Map(),
      metaHost: undefined,
      metaName: undefined,
    };
    if (cluster === '' || SPECIAL_CLUSTERS.has(cluster)) return entry;
    const ref = this.lookup?.(cluster);
    const host = ref?.host || hostFromClusterName(cluster);
    if (host) {
      entry.metaHost = host;
      // Istio: services[0].name, else the host up to its first dot.
      const dot = host.indexOf('.');
      entry.metaName = ref?.name || (dot < 0 ? host : host.slice(0, dot));
      entry.fixed = { host: entry.metaHost, name: entry.metaName };
    }
    return entry;
  }
}
