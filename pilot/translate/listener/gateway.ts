// A gateway's listeners, one per server port (binding gatewayBindPort): HTTP servers
// share one HCM with RDS `http.PORT`; TCP servers forward per the bound
// VirtualServices' tcp routes; TLS PASSTHROUGH servers pick a chain by SNI
// (tls_inspector + server_names) from the tls routes. Servers that terminate TLS
// (SIMPLE, MUTUAL, ISTIO_MUTUAL) need gateway certificates over SDS, which Petrel
// does not serve yet: they are reported by validation (api/istio/unsupported.ts) and skipped.
import type { Server } from '../../../api/istio/index.ts';
import type { Gateway } from '../../model/types.ts';
import type { EnvoyResource } from '../types.ts';
import { hostsOverlap, narrowerHost } from '../common/hosts.ts';
import { listenerName } from '../common/names.ts';
import { isHttpProtocol } from '../common/protocol.ts';
import { LISTENER } from '../common/type-urls.ts';
import type { BuildContext } from '../cluster/context.ts';
import type { RouteContext } from '../route/context.ts';
import { gatewayKey, parseServerHost } from '../route/gateway-routes.ts';
import type { GatewayHttpServer } from '../route/gateway-routes.ts';
import { listenerAddress, wildcardAddress } from './address.ts';
import { TLS_INSPECTOR_FILTER, hcmFilter, tcpProxyFilter } from './filters.ts';
import { tcpRouteTarget, tlsRoutes } from './l4-routes.ts';
import { gatewayBindPort } from './gateway-port.ts';

export type ServerKind = 'http' | 'tcp' | 'tls-passthrough' | 'unsupported';

export function serverKind(server: Server): ServerKind {
  const protocol = server.port.protocol.toUpperCase();
  if (isHttpProtocol(protocol)) return 'http';
  if (protocol === 'TCP' || protocol === 'MONGO' || protocol === 'MYSQL' || protocol === 'REDIS')
    return 'tcp';
  if ((protocol === 'TLS' || protocol === 'HTTPS') && server.tls?.mode === 'PASSTHROUGH')
    return 'tls-passthrough';
  return 'unsupported';
}

export interface PortServers {
  port: number;
  http: GatewayHttpServer[];
  l4: GatewayHttpServer[];
}

/** The proxy's gateway servers grouped by port; HTTP servers take a port over TCP/TLS ones, as in Istio. */
export function serversByPort(ctx: BuildContext): PortServers[] {
  const byPort = new Map<number, PortServers>();
  for (const gateway of ctx.push.gatewaysFor(ctx.proxy)) {
    for (const server of gateway.spec.servers) {
      const kind = serverKind(server);
      if (kind === 'unsupported') continue;
      let entry = byPort.get(server.port.number);
      if (!entry)
        byPort.set(server.port.number, (entry = { port: server.port.number, http: [], l4: [] }));
      (kind === 'http' ? entry.http : entry.l4).push({ gateway, server });
    }
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}

export function httpRouteName(port: number): string {
  return `http.${port}`;
}

/** SNI names a server admits for a tls route: the route's sniHosts narrowed to the server hosts. */
function admittedSni(
  server: Server,
  gw: Gateway,
  vsNamespace: string,
  sniHosts: string[],
): string[] {
  const out: string[] = [];
  for (const sni of sniHosts) {
    for (const entry of server.hosts) {
      const { namespace, host } = parseServerHost(entry, gw.metadata.namespace ?? '');
      if ((namespace === '*' || namespace === vsNamespace) && hostsOverlap(sni, host)) {
        const name = narrowerHost(sni, host);
        if (name !== '*' && !out.includes(name)) out.push(name);
      }
    }
  }
  return out;
}

function l4Chains(
  ctx: BuildContext,
  entry: PortServers,
): { chains: Record<string, unknown>[]; tls: boolean } {
  const chains: Record<string, unknown>[] = [];
  const seenSni = new Set<string>();
  let catchAll = false;
  let tls = false;
  for (const { gateway, server } of entry.l4) {
    const rctx: RouteContext = {
      ...ctx,
      listenPort: entry.port,
      gatewayNames: new Set([gatewayKey(gateway)]),
    };
    for (const vs of ctx.push.virtualServicesForGateway(gatewayKey(gateway))) {
      if (serverKind(server) === 'tcp') {
        const target = tcpRouteTarget(rctx, vs);
        if (target && !catchAll) {
          catchAll = true;
          chains.push({
            filters: [tcpProxyFilter(target.cluster ?? target.weighted![0]!.name, target)],
          });
        }
        continue;
      }
      for (const route of tlsRoutes(rctx, vs)) {
        const names = admittedSni(
          server,
          gateway,
          vs.metadata.namespace ?? '',
          route.sniHosts,
        ).filter((n) => !seenSni.has(n));
        if (names.length === 0) continue;
        names.forEach((n) => seenSni.add(n));
        tls = true;
        chains.push({
          filter_chain_match: { server_names: names },
          filters: [
            tcpProxyFilter(route.target.cluster ?? route.target.weighted![0]!.name, route.target),
          ],
        });
      }
    }
  }
  return { chains, tls };
}

export function gatewayListeners(ctx: BuildContext): EnvoyResource[] {
  const out: EnvoyResource[] = [];
  const address = wildcardAddress(ctx.proxy);
  const bound = new Set<number>();
  for (const entry of serversByPort(ctx)) {
    const bind = gatewayBindPort(ctx, entry.port);
    if (bound.has(bind)) continue; // two server ports mapped to one target port: the first keeps it
    bound.add(bind);
    const name = listenerName(address, bind);
    const listener: EnvoyResource = {
      '@type': LISTENER,
      name,
      address: listenerAddress(address, bind),
      traffic_direction: 'OUTBOUND',
    };
    if (entry.http.length > 0) {
      const hcm = hcmFilter({
        statPrefix: `outbound_${name}`,
        rds: httpRouteName(entry.port),
        family: ctx.family,
        useRemoteAddress: true,
      });
      listener.filter_chains = [{ filters: [hcm] }];
    } else {
      const { chains, tls } = l4Chains(ctx, entry);
      if (chains.length === 0) continue; // nothing routes here: Istio leaves the port closed
      listener.filter_chains = chains;
      if (tls) {
        listener.listener_filters = [TLS_INSPECTOR_FILTER];
        listener.continue_on_listener_filters_timeout = true;
      }
    }
    out.push(listener);
  }
  return out;
}
