// `proxy-config routes` rows as istioctl prints them: one per route of each
// virtual host (passthrough routes left out), domains shortened the way
// istioctl does, and the VirtualService pilot recorded in the route metadata.
import {
  arr,
  istioMetadata,
  obj,
  renderConfigPath,
  str,
  type DumpedResource,
} from './config-dump.ts';
import { routeMatch } from './listener-rows.ts';
import { compareText } from './table.ts';

export const ROUTE_HEADERS = ['NAME', 'VHOST NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE'];

/** Drops `x.svc.cluster.local` / `x.svc` (and the absolute `x.svc.cluster.local.`) when the shorter `x` is also listed. */
function unexpand(domains: string[]): string[] {
  const unique = new Set(domains);
  return domains.filter((d) => {
    for (const suffix of ['.svc.cluster.local.', '.svc.cluster.local', '.svc']) {
      if (d.endsWith(suffix) && unique.has(d.slice(0, -suffix.length))) return false;
    }
    return true;
  });
}

/** istioctl's describeRouteDomains: the port-less names, short forms first two, then a count. */
export function describeDomains(domains: string[]): string {
  if (domains.length <= 1) return domains[0] ?? '';
  const withoutPort = unexpand(
    domains.filter((d) => !d.includes(':') || (d.split(':').length > 3 && d.endsWith(']'))),
  );
  const max = 2;
  if (withoutPort.length > max)
    return `${withoutPort.slice(0, max).join(', ')} + ${withoutPort.length - max} more...`;
  return withoutPort.join(', ');
}

function isPassthrough(route: Record<string, unknown>): boolean {
  return str(obj(route.route).cluster) === 'PassthroughCluster';
}

/** Numeric route names (Istio's port routes) in numeric order first, then the rest by name. */
function byName(a: DumpedResource, b: DumpedResource): number {
  const an = /^\d+$/.test(a.name) ? Number(a.name) : undefined;
  const bn = /^\d+$/.test(b.name) ? Number(b.name) : undefined;
  if (an !== undefined && bn !== undefined) return an - bn;
  if (an !== undefined) return -1;
  if (bn !== undefined) return 1;
  return compareText(a.name, b.name);
}

export function routeRows(configs: readonly DumpedResource[]): string[][] {
  const rows: string[][] = [];
  for (const config of [...configs].sort(byName)) {
    for (const vh of arr(config.resource.virtual_hosts)) {
      const domains = describeDomains(arr(vh.domains).map(str));
      const routes = arr(vh.routes);
      if (routes.length === 0) rows.push([config.name, str(vh.name), domains, '/*', '404']);
      for (const r of routes) {
        if (isPassthrough(r)) continue;
        const vs = renderConfigPath(istioMetadata(r).config);
        rows.push([config.name, str(vh.name), domains, routeMatch(obj(r.match)), vs]);
      }
    }
  }
  return rows;
}
