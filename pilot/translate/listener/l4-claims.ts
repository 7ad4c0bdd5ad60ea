// Which VirtualServices with tcp or tls routes name a service, answered from an
// index instead of a scan. A sidecar's outbound listeners ask this for every TCP/TLS
// service port, and scanning every VirtualService's hosts for each made listener
// generation quadratic in the mesh's size (as route/vs-claims.ts found for HTTP).
// The index lives as long as the VirtualService list it was built from: the lists
// come from the PushContext's per-namespace/per-scope caches, so one index serves
// every proxy that sees the same VirtualServices in one push.
import type { Service, VirtualService } from '../../model/types.ts';
import type { BuildContext } from '../cluster/context.ts';
import { hostsOverlap } from '../common/hosts.ts';
import { virtualServiceHosts } from '../route/vs-hosts.ts';

interface L4Index {
  /** Exact host → positions (in the list) of the VirtualServices naming it. */
  exact: Map<string, number[]>;
  /** Wildcard hosts with the position of their VirtualService. */
  wildcards: { host: string; at: number }[];
  /**
   * Hosts of a VirtualService without a namespace resolve from the proxy's
   * namespace, so a list holding one cannot share an index: it is scanned.
   */
  scanOnly: boolean;
}

const indexes = new WeakMap<readonly VirtualService[], L4Index>();

function hasL4Routes(vs: VirtualService): boolean {
  return Boolean(vs.spec.tcp?.length || vs.spec.tls?.length);
}

function buildIndex(ctx: BuildContext, list: readonly VirtualService[]): L4Index {
  const exact = new Map<string, number[]>();
  const wildcards: { host: string; at: number }[] = [];
  if (list.some((vs) => !vs.metadata.namespace)) return { exact, wildcards, scanOnly: true };
  list.forEach((vs, at) => {
    if (!hasL4Routes(vs)) return;
    for (const host of virtualServiceHosts(ctx, vs)) {
      if (host.startsWith('*')) wildcards.push({ host, at });
      else {
        const positions = exact.get(host) ?? [];
        if (positions.at(-1) !== at) positions.push(at);
        exact.set(host, positions);
      }
    }
  });
  return { exact, wildcards, scanOnly: false };
}

/** The VirtualServices (precedence order) with tcp or tls routes whose hosts overlap the service's. */
export function l4VirtualServices(ctx: BuildContext, service: Service): VirtualService[] {
  const list = ctx.push.virtualServicesForSidecar(ctx.proxy);
  let index = indexes.get(list);
  if (!index) indexes.set(list, (index = buildIndex(ctx, list)));
  // A wildcard service host (ServiceEntry) overlaps exact VirtualService hosts too: scan.
  if (index.scanOnly || service.hostname.startsWith('*'))
    return list.filter(
      (vs) =>
        hasL4Routes(vs) &&
        virtualServiceHosts(ctx, vs).some((h) => hostsOverlap(h, service.hostname)),
    );
  const positions = new Set(index.exact.get(service.hostname));
  for (const w of index.wildcards) if (hostsOverlap(w.host, service.hostname)) positions.add(w.at);
  return [...positions].sort((a, b) => a - b).map((at) => list[at]!);
}
