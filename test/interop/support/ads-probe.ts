// A small state-of-the-world ADS client that fetches everything a proxy would get
// from a control plane and ACKs each response, so one probe reads Istio's
// pilot-discovery and Petrel's pilot the same way. Plain @grpc/grpc-js + the ADS
// protos from api/envoy, no xDS client library: the differential test needs the
// raw resources, not a data plane.
//
// Two subscription styles, as the two kinds of client do it:
//   envoy: CDS and LDS wildcard; EDS for the EDS clusters, RDS for the route
//          configs the listeners name (Envoy's order, CDS before LDS);
//   grpc:  LDS for the listener names given (wildcard if none) → RDS → CDS for
//          the clusters the routes name → EDS, as a proxyless gRPC client
//          walks it (Istio serves proxyless CDS only by name).
import * as grpc from '@grpc/grpc-js';
import {
  decodeAny,
  loadAdsPackage,
  structForLoader,
  TypeUrl,
} from '../../../api/envoy/registry.ts';
import type { EnvoyResource, PackedAny } from '../../../api/envoy/registry.ts';

export interface ProbeNode {
  id: string;
  cluster?: string;
  metadata: Record<string, unknown>;
}

export interface ProbeOptions {
  style: 'envoy' | 'grpc';
  /** grpc style: the listeners to ask for (`host:port`); empty means wildcard. */
  listeners?: string[];
  timeoutMs?: number;
}

/** What the probe collected: resources by name, per xDS type. */
export interface XdsSnapshot {
  listeners: Map<string, EnvoyResource>;
  routes: Map<string, EnvoyResource>;
  clusters: Map<string, EnvoyResource>;
  endpoints: Map<string, EnvoyResource>;
}

type Obj = Record<string, any>;

interface TypeState {
  names: string[];
  wildcard: boolean;
  requested: boolean;
  /** The current subscription was answered. */
  answered: boolean;
  version: string;
  nonce: string;
  resources: Map<string, EnvoyResource>;
}

/** Names of the route configurations the listeners' HTTP connection managers ask RDS for. */
export function rdsNames(listeners: Iterable<EnvoyResource>): string[] {
  const names = new Set<string>();
  const visit = (hcm: Obj | undefined): void => {
    const name = hcm?.rds?.route_config_name;
    if (typeof name === 'string') names.add(name);
  };
  for (const l of listeners as Iterable<Obj>) {
    visit(l.api_listener?.api_listener);
    for (const chain of [
      ...(l.filter_chains ?? []),
      ...(l.default_filter_chain ? [l.default_filter_chain] : []),
    ]) {
      for (const f of chain.filters ?? []) visit(f.typed_config);
    }
  }
  return [...names].sort();
}

/** Clusters the route configurations send traffic to (single and weighted). */
export function routedClusters(routes: Iterable<EnvoyResource>): string[] {
  const names = new Set<string>();
  for (const rc of routes as Iterable<Obj>) {
    for (const vh of rc.virtual_hosts ?? []) {
      for (const r of vh.routes ?? []) {
        if (typeof r.route?.cluster === 'string') names.add(r.route.cluster);
        for (const wc of r.route?.weighted_clusters?.clusters ?? []) names.add(wc.name);
      }
    }
  }
  return [...names].sort();
}

/** EDS service names of the clusters that take their endpoints from EDS. */
export function edsNames(clusters: Iterable<EnvoyResource>): string[] {
  const names = new Set<string>();
  for (const c of clusters as Iterable<Obj>) {
    if (c.type === 'EDS') names.add(c.eds_cluster_config?.service_name || c.name);
  }
  return [...names].sort();
}

function resourceName(typeUrl: string, r: Obj): string {
  return String(typeUrl === TypeUrl.ClusterLoadAssignment ? r.cluster_name : r.name);
}

/**
 * Connects to `address` as `node`, subscribes in the given style and resolves
 * once every type has answered its current subscription. Rejects if the stream
 * fails or ends first, or after `timeoutMs`.
 */
export function probeXds(
  address: string,
  node: ProbeNode,
  options: ProbeOptions,
): Promise<XdsSnapshot> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const { AggregatedDiscoveryService } = loadAdsPackage();
  const client = new AggregatedDiscoveryService(address, grpc.credentials.createInsecure());
  const call = client.StreamAggregatedResources() as grpc.ClientDuplexStream<Obj, Obj>;
  const types = [
    TypeUrl.Cluster,
    TypeUrl.ClusterLoadAssignment,
    TypeUrl.Listener,
    TypeUrl.RouteConfiguration,
  ];
  const state = new Map<string, TypeState>(
    types.map((t) => [
      t,
      {
        names: [],
        wildcard: false,
        requested: false,
        answered: false,
        version: '',
        nonce: '',
        resources: new Map(),
      },
    ]),
  );
  const at = (t: string): TypeState => state.get(t)!;
  let nodeSent = false;

  const send = (typeUrl: string): void => {
    const s = at(typeUrl);
    s.requested = true;
    call.write({
      ...(nodeSent
        ? {}
        : {
            node: {
              id: node.id,
              cluster: node.cluster ?? '',
              metadata: structForLoader(node.metadata),
            },
          }),
      type_url: typeUrl,
      resource_names: s.names,
      version_info: s.version,
      response_nonce: s.nonce,
    });
    nodeSent = true;
  };

  const subscribe = (typeUrl: string, names: string[] | 'wildcard'): void => {
    const s = at(typeUrl);
    const wanted = names === 'wildcard' ? [] : names;
    if (
      s.requested &&
      s.wildcard === (names === 'wildcard') &&
      wanted.join('\n') === s.names.join('\n')
    )
      return;
    s.names = wanted;
    s.wildcard = names === 'wildcard';
    // Nothing to ask for by name: an empty subscription is complete as it is.
    s.answered = !s.wildcard && wanted.length === 0;
    if (!s.answered || s.requested) send(typeUrl);
    if (s.answered) {
      s.resources = new Map();
      next[typeUrl]?.([]);
    }
  };

  /** Which subscription follows from a response: the dependency chain of the style. */
  const next: Record<string, (resources: EnvoyResource[]) => void> =
    options.style === 'envoy'
      ? {
          [TypeUrl.Cluster]: (rs) => subscribe(TypeUrl.ClusterLoadAssignment, edsNames(rs)),
          [TypeUrl.Listener]: (rs) => subscribe(TypeUrl.RouteConfiguration, rdsNames(rs)),
        }
      : {
          [TypeUrl.Listener]: (rs) => subscribe(TypeUrl.RouteConfiguration, rdsNames(rs)),
          [TypeUrl.RouteConfiguration]: (rs) => subscribe(TypeUrl.Cluster, routedClusters(rs)),
          [TypeUrl.Cluster]: (rs) => subscribe(TypeUrl.ClusterLoadAssignment, edsNames(rs)),
        };

  return new Promise<XdsSnapshot>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      call.cancel();
      client.close();
      if (err) reject(err);
      else {
        resolve({
          clusters: at(TypeUrl.Cluster).resources,
          endpoints: at(TypeUrl.ClusterLoadAssignment).resources,
          listeners: at(TypeUrl.Listener).resources,
          routes: at(TypeUrl.RouteConfiguration).resources,
        });
      }
    };
    const timer = setTimeout(() => {
      const waiting = types.filter((t) => !at(t).answered).map((t) => t.split('.').pop());
      finish(
        new Error(
          `ADS probe of ${address} as ${node.id}: no complete answer within ${timeoutMs} ms (waiting for ${waiting.join(', ')})`,
        ),
      );
    }, timeoutMs);

    call.on('data', (res: Obj) => {
      const typeUrl = String(res.type_url);
      const s = state.get(typeUrl);
      if (!s) return; // a type the probe did not ask for
      const resources = new Map<string, EnvoyResource>();
      for (const any of (res.resources ?? []) as PackedAny[]) {
        const r = decodeAny(any) as Obj;
        resources.set(resourceName(typeUrl, r), r as EnvoyResource);
      }
      s.resources = resources;
      s.version = String(res.version_info ?? '');
      s.nonce = String(res.nonce ?? '');
      s.answered = true;
      send(typeUrl); // ACK
      next[typeUrl]?.([...resources.values()]);
      if (types.every((t) => at(t).answered)) finish();
    });
    call.on('error', (err: grpc.ServiceError) =>
      finish(new Error(`ADS probe of ${address}: stream failed: ${err.code} ${err.details}`)),
    );
    call.on('end', () => finish(new Error(`ADS probe of ${address}: server ended the stream`)));

    if (options.style === 'envoy') {
      subscribe(TypeUrl.Cluster, 'wildcard');
      subscribe(TypeUrl.Listener, 'wildcard');
    } else {
      subscribe(
        TypeUrl.Listener,
        options.listeners?.length ? [...options.listeners].sort() : 'wildcard',
      );
    }
  });
}
