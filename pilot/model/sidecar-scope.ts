// The Sidecar resource as Istio applies it: which Sidecar scopes a workload
// (a selector match in its namespace, else the namespace's selector-less one,
// else the root namespace's mesh default), and what its egress hosts let in.
import type { ConfigSnapshot } from '../config/types.ts';
import type { Proxy } from './proxy.ts';
import type { Sidecar } from './types.ts';
import { sortedByCreation } from './config-order.ts';
import { frozenCopy } from './freeze.ts';
import { hasSelector, selectorMatches } from './labels.ts';
import { hostsOverlap } from './hosts.ts';

/** What one Sidecar's egress hosts admit, for workloads in one namespace. */
export class EgressScope {
  readonly key: string;
  readonly #byNamespace = new Map<string, string[]>();
  readonly #anyNamespace: string[] = [];

  constructor(key: string, sidecar: Sidecar, proxyNamespace: string) {
    this.key = key;
    // Istio: a Sidecar without egress listeners imports everything (`*/*`).
    const egress =
      sidecar.spec.egress && sidecar.spec.egress.length > 0
        ? sidecar.spec.egress
        : [{ hosts: ['*/*'] }];
    for (const listener of egress) {
      for (const entry of listener.hosts) {
        const slash = entry.indexOf('/');
        let ns = entry.slice(0, slash);
        const host = entry.slice(slash + 1);
        // '.' is the workload's namespace, also for the root namespace's mesh-wide default.
        if (ns === '.') ns = proxyNamespace;
        if (ns === '~') continue;
        if (ns === '*') this.#anyNamespace.push(host);
        else {
          let list = this.#byNamespace.get(ns);
          if (!list) this.#byNamespace.set(ns, (list = []));
          list.push(host);
        }
      }
    }
  }

  /** Whether a config or service in `namespace` with `hostname` is imported. */
  admits(namespace: string, hostname: string): boolean {
    for (const h of this.#anyNamespace) if (hostsOverlap(h, hostname)) return true;
    const list = this.#byNamespace.get(namespace);
    if (list) for (const h of list) if (hostsOverlap(h, hostname)) return true;
    return false;
  }
}

interface NamespaceSidecars {
  withSelector: Sidecar[];
  fallback?: Sidecar;
}

export class SidecarIndex {
  readonly #byNamespace = new Map<string, NamespaceSidecars>();
  readonly #rootNamespace: string;
  readonly #scopes = new Map<string, EgressScope>();

  constructor(snapshot: ConfigSnapshot, rootNamespace: string) {
    this.#rootNamespace = rootNamespace;
    for (const obj of sortedByCreation(snapshot.list('Sidecar'))) {
      if (!obj.spec) continue;
      const sidecar = frozenCopy(obj) as Sidecar;
      const ns = sidecar.metadata.namespace ?? 'default';
      let entry = this.#byNamespace.get(ns);
      if (!entry) this.#byNamespace.set(ns, (entry = { withSelector: [] }));
      if (hasSelector(sidecar.spec.workloadSelector?.labels)) entry.withSelector.push(sidecar);
      // Istio takes the oldest when a namespace has several selector-less Sidecars.
      else entry.fallback ??= sidecar;
    }
  }

  /** Sidecars scope sidecar proxies only; gateways see everything exported to them. */
  forProxy(proxy: Proxy): Sidecar | undefined {
    if (proxy.type !== 'sidecar') return undefined;
    const own = this.#byNamespace.get(proxy.namespace);
    if (own) {
      for (const sc of own.withSelector)
        if (selectorMatches(sc.spec.workloadSelector?.labels, proxy.labels)) return sc;
      if (own.fallback) return own.fallback;
    }
    return this.#byNamespace.get(this.#rootNamespace)?.fallback;
  }

  /** The egress scope of `sidecar` for a workload in `proxyNamespace`, cached. */
  scope(sidecar: Sidecar, proxyNamespace: string): EgressScope {
    const key = `${sidecar.metadata.namespace}/${sidecar.metadata.name}@${proxyNamespace}`;
    let scope = this.#scopes.get(key);
    if (!scope) this.#scopes.set(key, (scope = new EgressScope(key, sidecar, proxyNamespace)));
    return scope;
  }
}
