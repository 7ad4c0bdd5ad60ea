// All services of one push, indexed by hostname, with their endpoints and the
// per-namespace visible lists (exportTo) cached: generators for 500 proxies ask
// the same few namespaces again and again.
import type { Endpoint, Service } from '../types.ts';
import type { ModelDiagnostic } from '../errors.ts';
import type { PortEndpoints } from './endpoints.ts';
import { deepFreeze, EMPTY } from '../freeze.ts';
import { isVisibleFrom } from '../visibility.ts';
import { labelsKey, selectorMatches } from '../labels.ts';

export interface ServiceEndpoint {
  service: Service;
  endpoint: Endpoint;
}

export class ServiceIndex {
  /** Per hostname, candidates in Istio's preference order: Kubernetes first, then ServiceEntries oldest first. */
  readonly #byHost = new Map<string, Service[]>();
  readonly #endpoints = new Map<Service, PortEndpoints>();
  readonly #hostnames: string[];
  readonly #visible = new Map<string, readonly Service[]>();
  readonly #subsets = new Map<readonly Endpoint[], Map<string, readonly Endpoint[]>>();
  #byAddress: Map<string, ServiceEndpoint[]> | undefined;
  #byPod: Map<string, ServiceEndpoint[]> | undefined;
  readonly #byNamespace = new Map<string, Service[]>();
  readonly namespaces = new Set<string>();

  /** `entries` in preference order (Kubernetes Services first, then ServiceEntries by creation). */
  constructor(
    entries: Iterable<{ service: Service; endpoints: PortEndpoints }>,
    diagnostics: ModelDiagnostic[],
  ) {
    for (const { service, endpoints } of entries) {
      let list = this.#byHost.get(service.hostname);
      if (!list) this.#byHost.set(service.hostname, (list = []));
      const sameNs = list.find((s) => s.namespace === service.namespace);
      if (sameNs) {
        // Istio keeps one service per hostname and namespace: the first one's ports and
        // resolution, with the endpoints of every entry (entries often split endpoints).
        if (sameNs.source !== service.source) {
          diagnostics.push({
            code: 'PETREL_MODEL_HOST_CONFLICT',
            message: `${service.origin}: host ${service.hostname} is already defined by ${sameNs.origin}; ignored`,
          });
          continue;
        }
        const into = this.#endpoints.get(sameNs)!;
        for (const [port, eps] of endpoints) if (into.has(port)) into.get(port)!.push(...eps);
        continue;
      }
      list.push(deepFreeze(service));
      this.#endpoints.set(service, endpoints);
      this.namespaces.add(service.namespace);
      const inNs = this.#byNamespace.get(service.namespace);
      if (inNs) inNs.push(service);
      else this.#byNamespace.set(service.namespace, [service]);
    }
    for (const eps of this.#endpoints.values()) for (const list of eps.values()) deepFreeze(list);
    this.#hostnames = [...this.#byHost.keys()].sort();
  }

  get size(): number {
    return this.#endpoints.size;
  }

  has(hostname: string): boolean {
    return this.#byHost.has(hostname);
  }

  /** The service for `hostname` as seen from `namespace`: its own namespace's if visible, else the first visible. */
  lookup(hostname: string, namespace: string | undefined): Service | undefined {
    const list = this.#byHost.get(hostname);
    if (!list) return undefined;
    if (namespace === undefined) return list[0];
    let first: Service | undefined;
    for (const s of list) {
      // As Istio's IsServiceVisible: even the own namespace sees a service only if exportTo says so.
      if (!isVisibleFrom(s.exportTo, namespace)) continue;
      if (s.namespace === namespace) return s;
      first ??= s;
    }
    return first;
  }

  /** One service per hostname visible from `namespace`, sorted by hostname. */
  visibleFrom(namespace: string): readonly Service[] {
    let out = this.#visible.get(namespace);
    if (!out) {
      const list: Service[] = [];
      for (const h of this.#hostnames) {
        const s = this.lookup(h, namespace);
        if (s) list.push(s);
      }
      out = Object.freeze(list);
      this.#visible.set(namespace, out);
    }
    return out;
  }

  /** Endpoints of one port of the service picked for `namespace` (or the preferred one), optionally filtered by subset labels. */
  endpoints(
    hostname: string,
    port: number,
    subsetLabels?: Record<string, string>,
    namespace?: string,
  ): readonly Endpoint[] {
    const svc = this.lookup(hostname, namespace);
    if (!svc) return EMPTY;
    const all = this.#endpoints.get(svc)?.get(port);
    if (!all) return EMPTY;
    const key = labelsKey(subsetLabels);
    if (!key) return all;
    // Keyed by the endpoint array itself: no string building on the hot path.
    let bySubset = this.#subsets.get(all);
    if (!bySubset) this.#subsets.set(all, (bySubset = new Map()));
    let out = bySubset.get(key);
    if (!out) {
      out = Object.freeze(all.filter((e) => selectorMatches(subsetLabels, e.labels)));
      bySubset.set(key, out);
    }
    return out;
  }

  /** Every service/endpoint pair at an address (the inbound side of a workload). */
  byAddress(address: string): readonly ServiceEndpoint[] {
    this.#indexEndpoints();
    return this.#byAddress!.get(address) ?? EMPTY;
  }

  /** Every service/endpoint pair whose endpoint is the pod `namespace/name`. */
  byPod(namespace: string, name: string): readonly ServiceEndpoint[] {
    this.#indexEndpoints();
    return this.#byPod!.get(`${namespace}/${name}`) ?? EMPTY;
  }

  /** Every service named `hostname`, one per namespace defining it, whatever its exportTo. */
  named(hostname: string): readonly Service[] {
    return this.#byHost.get(hostname) ?? EMPTY;
  }

  /** The services defined in `namespace` (whatever their exportTo). */
  inNamespace(namespace: string): readonly Service[] {
    return this.#byNamespace.get(namespace) ?? EMPTY;
  }

  /** Every service (all namespaces, all candidates), for callers that need the full registry. */
  *all(): Iterable<Service> {
    yield* this.#endpoints.keys();
  }

  /** Built on first use: only pushes that serve sidecars need it. */
  #indexEndpoints(): void {
    if (this.#byAddress) return;
    const byAddress = new Map<string, ServiceEndpoint[]>();
    const byPod = new Map<string, ServiceEndpoint[]>();
    const push = (m: Map<string, ServiceEndpoint[]>, k: string, v: ServiceEndpoint) => {
      const list = m.get(k);
      if (list) list.push(v);
      else m.set(k, [v]);
    };
    for (const [service, ports] of this.#endpoints) {
      for (const eps of ports.values()) {
        for (const endpoint of eps) {
          const pair = Object.freeze({ service, endpoint });
          push(byAddress, endpoint.address, pair);
          if (endpoint.podName) push(byPod, `${endpoint.namespace}/${endpoint.podName}`, pair);
        }
      }
    }
    this.#byAddress = byAddress;
    this.#byPod = byPod;
  }
}
