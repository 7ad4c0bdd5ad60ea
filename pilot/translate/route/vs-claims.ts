// Which VirtualService claims a service, answered from an index instead of a scan.
// A sidecar's route configs ask this for every service on every HTTP port, and the
// scan (every VirtualService × every host) made route generation quadratic in the
// mesh's size. The index is built once per VirtualService list — the lists come
// from the PushContext's per-namespace/per-scope caches, so one list is shared by
// all proxies that see the same VirtualServices in one push.
import type { Service, VirtualService } from '../../model/types.ts';
import type { BuildContext } from '../cluster/context.ts';
import { hostSpecificity, hostsOverlap } from '../common/hosts.ts';
import { virtualServiceHosts } from './vs-hosts.ts';

interface WildcardHost {
  host: string;
  vs: VirtualService;
  score: number;
}

interface ClaimIndex {
  /** Exact host → the first VirtualService (precedence order) with an http section naming it. */
  exact: Map<string, VirtualService>;
  /** Wildcard hosts in precedence order. */
  wildcards: WildcardHost[];
  /**
   * Hosts of a VirtualService without a namespace resolve from the proxy's namespace,
   * so a list holding one cannot share an index across proxies: it is scanned.
   */
  scanOnly: boolean;
}

const indexes = new WeakMap<readonly VirtualService[], ClaimIndex>();

function buildIndex(ctx: BuildContext, virtualServices: readonly VirtualService[]): ClaimIndex {
  const exact = new Map<string, VirtualService>();
  const wildcards: WildcardHost[] = [];
  if (virtualServices.some((vs) => !vs.metadata.namespace))
    return { exact, wildcards, scanOnly: true };
  for (const vs of virtualServices) {
    if (!vs.spec.http?.length) continue;
    for (const host of virtualServiceHosts(ctx, vs)) {
      if (host.startsWith('*')) wildcards.push({ host, vs, score: hostSpecificity(host) });
      else if (!exact.has(host)) exact.set(host, vs);
    }
  }
  return { exact, wildcards, scanOnly: false };
}

/** The scan the index replaces; still the answer for wildcard service hosts (ServiceEntries). */
function scan(
  ctx: BuildContext,
  service: Service,
  virtualServices: readonly VirtualService[],
): VirtualService | undefined {
  let best: { vs: VirtualService; score: number } | undefined;
  for (const vs of virtualServices) {
    if (!vs.spec.http?.length) continue;
    for (const host of virtualServiceHosts(ctx, vs)) {
      if (!hostsOverlap(host, service.hostname)) continue;
      const score = host === service.hostname ? Number.MAX_SAFE_INTEGER : hostSpecificity(host);
      if (!best || score > best.score) best = { vs, score };
    }
  }
  return best?.vs;
}

/**
 * Which VirtualService claims a service (Istio: an exact host wins over wildcards, the
 * most specific wildcard wins among wildcards, earlier in precedence order wins ties).
 */
export function claimingVirtualService(
  ctx: BuildContext,
  service: Service,
  virtualServices: readonly VirtualService[],
): VirtualService | undefined {
  let index = indexes.get(virtualServices);
  if (!index) indexes.set(virtualServices, (index = buildIndex(ctx, virtualServices)));
  if (index.scanOnly || service.hostname.startsWith('*'))
    return scan(ctx, service, virtualServices);
  const exact = index.exact.get(service.hostname);
  if (exact) return exact;
  let best: WildcardHost | undefined;
  for (const w of index.wildcards) {
    if (hostsOverlap(w.host, service.hostname) && (!best || w.score > best.score)) best = w;
  }
  return best?.vs;
}
