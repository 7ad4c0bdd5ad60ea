// A gateway's RouteConfiguration `http.PORT`: virtual hosts from the hosts of its HTTP
// servers on that port crossed with the VirtualServices bound to the Gateway. A
// VirtualService host the servers do not allow is dropped; several VirtualServices
// on one host merge (catch-alls last); no host at all answers 404.
import type { Server } from '../../../api/istio/index.ts';
import type { Gateway, VirtualService } from '../../model/types.ts';
import type { EnvoyResource } from '../types.ts';
import { hostsOverlap, narrowerHost } from '../common/hosts.ts';
import { ROUTE_CONFIGURATION } from '../common/type-urls.ts';
import type { BuildContext } from '../cluster/context.ts';
import type { RouteContext } from './context.ts';
import type { VirtualHostEntry } from './sidecar-routes.ts';
import { uniqueDomains, virtualHostObject } from './sidecar-routes.ts';
import { catchAllLast, routesForVirtualService } from './virtual-service.ts';

export function gatewayKey(gw: Gateway): string {
  return `${gw.metadata.namespace ?? ''}/${gw.metadata.name}`;
}

/** A server host `ns/host`: which VirtualService namespaces it admits, and the host. */
export function parseServerHost(
  entry: string,
  gatewayNamespace: string,
): { namespace: string; host: string } {
  const slash = entry.indexOf('/');
  if (slash < 0) return { namespace: '*', host: entry };
  const ns = entry.slice(0, slash);
  return { namespace: ns === '.' ? gatewayNamespace : ns, host: entry.slice(slash + 1) };
}

/** The hosts a VirtualService gets on a server: each VS host the server admits, narrowed to the overlap. */
export function admittedHosts(server: Server, gw: Gateway, vs: VirtualService): string[] {
  const out: string[] = [];
  for (const vsHost of vs.spec.hosts ?? []) {
    for (const entry of server.hosts) {
      const { namespace, host } = parseServerHost(entry, gw.metadata.namespace ?? '');
      if (namespace !== '*' && namespace !== vs.metadata.namespace) continue;
      if (!hostsOverlap(vsHost, host)) continue;
      const name = narrowerHost(vsHost, host);
      if (!out.includes(name)) out.push(name);
    }
  }
  return out;
}

function domainsFor(host: string): string[] {
  return host === '*' ? ['*'] : [host, `${host}:*`];
}

export interface GatewayHttpServer {
  gateway: Gateway;
  server: Server;
}

export function gatewayRouteConfiguration(
  ctx: BuildContext,
  routeName: string,
  port: number,
  servers: readonly GatewayHttpServer[],
): EnvoyResource {
  const byHost = new Map<string, VirtualHostEntry & { requireTls: boolean }>();
  for (const { gateway, server } of servers) {
    const rctx: RouteContext = {
      ...ctx,
      listenPort: port,
      gatewayNames: new Set([gatewayKey(gateway)]),
    };
    for (const vs of ctx.push.virtualServicesForGateway(gatewayKey(gateway))) {
      const hosts = admittedHosts(server, gateway, vs);
      if (hosts.length === 0) continue;
      const routes = routesForVirtualService(rctx, vs);
      if (routes.length === 0) continue;
      for (const host of hosts) {
        const existing = byHost.get(host);
        if (existing) existing.routes = catchAllLast([...existing.routes, ...routes]);
        else
          byHost.set(host, {
            name: `${host}:${port}`,
            domains: domainsFor(host),
            routes,
            requireTls: server.tls?.httpsRedirect === true,
          });
      }
    }
  }
  let hosts = uniqueDomains([...byHost.values()]).map((h) => {
    const obj = virtualHostObject(h);
    if (byHost.get(h.name.slice(0, h.name.lastIndexOf(':')))?.requireTls) obj.require_tls = 'ALL';
    return obj;
  });
  if (hosts.length === 0) {
    hosts = [
      {
        name: `blackhole:${port}`,
        domains: ['*'],
        routes: [{ name: 'default', match: { prefix: '/' }, direct_response: { status: 404 } }],
      },
    ];
  }
  return {
    '@type': ROUTE_CONFIGURATION,
    name: routeName,
    virtual_hosts: hosts,
    validate_clusters: { value: false },
    max_direct_response_body_size_bytes: { value: 1024 * 1024 },
  };
}
