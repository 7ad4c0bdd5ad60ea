// The services analyzers look hosts up in: every Kubernetes Service and
// ServiceEntry host of the snapshot, resolved through the PushContext so
// exportTo visibility is pilot's own. Unlike PushContext.service (exact names,
// what generators need), lookups here also let a wildcard ServiceEntry host
// (`*.example.com`) cover a name, as Istio's analyzers do.
import type { ConfigSnapshot } from '../config/types.ts';
import type { PushContext, Service } from '../model/types.ts';
import { bySpecificity, hostCovers, isWildcardHost } from '../model/hosts.ts';
import { kubeHostname } from '../model/service-registry/kube-services.ts';

export class ServiceCatalog {
  readonly #push: PushContext;
  /** Every hostname some object defines, sorted. */
  readonly #hostnames: string[];
  /** The wildcard ones, most specific first. */
  readonly #wildcards: string[];

  constructor(snapshot: ConfigSnapshot, push: PushContext) {
    this.#push = push;
    const names = new Set<string>();
    for (const svc of snapshot.list('Service')) {
      if (svc.metadata.namespace)
        names.add(kubeHostname(svc.metadata.name, svc.metadata.namespace, push.mesh.clusterDomain));
    }
    for (const se of snapshot.list('ServiceEntry')) {
      for (const h of (se.spec as { hosts?: string[] } | undefined)?.hosts ?? []) names.add(h);
    }
    this.#hostnames = [...names].sort();
    this.#wildcards = this.#hostnames.filter(isWildcardHost).sort(bySpecificity);
  }

  /** The service a destination `host` (already fully qualified) reaches from `namespace`. */
  find(host: string, namespace: string): Service | undefined {
    const exact = this.#push.service(host, namespace);
    if (exact) return exact;
    for (const w of this.#wildcards) {
      if (!hostCovers(w, host)) continue;
      const svc = this.#push.service(w, namespace);
      if (svc) return svc;
    }
    return undefined;
  }

  /** Services a DestinationRule host (exact or wildcard) applies to, as seen from `namespace`. */
  matching(pattern: string, namespace: string): Service[] {
    if (!isWildcardHost(pattern)) {
      const svc = this.find(pattern, namespace);
      return svc ? [svc] : [];
    }
    const out: Service[] = [];
    for (const h of this.#hostnames) {
      if (!hostCovers(pattern, h)) continue;
      const svc = this.#push.service(h, namespace);
      if (svc) out.push(svc);
    }
    return out;
  }

  /** Every service visible from `namespace`, one per hostname. */
  visibleFrom(namespace: string): Service[] {
    const out: Service[] = [];
    for (const h of this.#hostnames) {
      const svc = this.#push.service(h, namespace);
      if (svc) out.push(svc);
    }
    return out;
  }
}
