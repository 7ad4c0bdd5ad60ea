// Hostname matching with Istio's wildcard rules (`*`, `*.example.com`) and the Host
// header variants Istio puts in a sidecar's virtual host domains.
import type { Proxy } from '../../model/proxy.ts';
import type { Service } from '../../model/types.ts';
import { joinHostPort } from './names.ts';

function isWildcard(host: string): boolean {
  return host.startsWith('*');
}

/** True when `host` is covered by `pattern` (`*` covers all, `*.a.com` covers `b.a.com` and `*.b.a.com`). */
export function hostSubsetOf(host: string, pattern: string): boolean {
  if (pattern === '*') return true;
  if (host === pattern) return true;
  if (!isWildcard(pattern)) return false;
  const suffix = pattern.slice(1); // ".a.com"
  return host.endsWith(suffix) && host.length > suffix.length;
}

/** Istio's Name.Matches: two hostnames overlap when either covers the other. */
export function hostsOverlap(a: string, b: string): boolean {
  return hostSubsetOf(a, b) || hostSubsetOf(b, a);
}

/** Of two overlapping hosts, the narrower one (what a gateway's virtual host is named after). */
export function narrowerHost(a: string, b: string): string {
  return hostSubsetOf(a, b) ? a : b;
}

/** Specificity for "most specific wildcard wins": longer non-wildcard suffix first. */
export function hostSpecificity(host: string): number {
  return isWildcard(host) ? host.length - 1 : Number.MAX_SAFE_INTEGER;
}

/**
 * The Host header values a sidecar may send for `service` on `port` (Istio's
 * generateVirtualHostDomains): the FQDN, the short forms a proxy in its DNS search
 * path can use (`reviews`, `reviews.default`, `reviews.default.svc` from the same
 * namespace; without the bare name from another), and the VIPs, each with and
 * without `:port`.
 */
export function serviceDomains(service: Service, port: number, proxy: Proxy): string[] {
  // Istio also answers to the absolute form of the FQDN (`reviews.default.svc.cluster.local.`),
  // which clients that resolve with a trailing dot send as their Host.
  const names = [
    service.hostname,
    `${service.hostname}.`,
    ...altHostnames(service.hostname, proxy),
  ];
  const out: string[] = [];
  for (const name of names) out.push(name, `${name}:${port}`);
  // A headless Kubernetes service is also reached by pod names under it (pod-0.db.ns.svc…).
  if (service.headless && service.source === 'kubernetes')
    for (const name of names) out.push(`*.${name}`, `*.${name}:${port}`);
  for (const address of service.addresses) {
    if (address === '0.0.0.0' || address.includes('/')) continue;
    out.push(address.includes(':') ? `[${address}]` : address, joinHostPort(address, port));
  }
  return out;
}

/** Short forms of a Kubernetes hostname as seen from the proxy's namespace; none for other hosts. */
export function altHostnames(hostname: string, proxy: Proxy): string[] {
  const svcAt = hostname.indexOf('.svc.');
  if (svcAt < 0) return [];
  const proxyDomain = `${proxy.namespace}.${proxy.dnsDomain}`; // e.g. default.svc.cluster.local
  const clusterSuffix = proxyDomain.slice(proxyDomain.indexOf('.svc.') + 1); // svc.cluster.local
  if (!hostname.endsWith(`.${clusterSuffix}`)) return [];
  const firstDot = hostname.indexOf('.');
  if (firstDot + 1 > svcAt) return [];
  const name = hostname.slice(0, firstDot);
  const namespace = hostname.slice(firstDot + 1, svcAt);
  const withNs = `${name}.${namespace}`;
  return namespace === proxy.namespace
    ? [name, withNs, `${withNs}.svc`]
    : [withNs, `${withNs}.svc`];
}
