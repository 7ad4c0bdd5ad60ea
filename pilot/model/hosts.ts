// Hostname matching and short-name resolution with Istio's rules (host.Name).
import { isIP } from 'node:net';

export function isWildcardHost(host: string): boolean {
  return host.startsWith('*');
}

/** Whether `pattern` covers `host`: equal, or a wildcard whose suffix `host` ends with (a wildcard host is covered by a broader one). */
export function hostCovers(pattern: string, host: string): boolean {
  if (pattern === host || pattern === '*') return true;
  if (!pattern.startsWith('*')) return false;
  const suffix = pattern.slice(1); // ".example.com"
  if (host.startsWith('*')) return host.slice(1).endsWith(suffix);
  return host.length > suffix.length && host.endsWith(suffix);
}

/** Istio's Matches: the two names overlap when either covers the other. */
export function hostsOverlap(a: string, b: string): boolean {
  return hostCovers(a, b) || hostCovers(b, a);
}

/** Orders wildcard patterns most specific (longest) first, then by name for a stable order. */
export function bySpecificity(a: string, b: string): number {
  return b.length - a.length || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Istio's ResolveShortnameToFQDN, plus the `name.namespace` form Istio's docs
 * describe: `reviews` in `default` → `reviews.default.svc.cluster.local`;
 * `reviews.prod` → `reviews.prod.svc.cluster.local` when `prod` is a known
 * namespace (otherwise `foo.com` would be mangled); FQDNs, IPs and wildcards kept.
 */
export function resolveShortName(
  host: string,
  namespace: string,
  clusterDomain: string,
  knownNamespaces: ReadonlySet<string>,
): string {
  if (!host || host === '*' || isIP(host) !== 0) return host;
  const dot = host.indexOf('.');
  if (dot < 0) return namespace ? `${host}.${namespace}.svc.${clusterDomain}` : host;
  if (
    host.indexOf('.', dot + 1) < 0 &&
    !host.startsWith('*') &&
    knownNamespaces.has(host.slice(dot + 1))
  ) {
    return `${host}.svc.${clusterDomain}`;
  }
  return host;
}
