// A gateway's listeners, one per server port (binding gatewayBindPort): HTTP servers
// share one HCM with RDS `http.PORT`; HTTPS servers that terminate TLS (SIMPLE,
// MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL) get a chain each, picked by SNI, with their
// certificates over SDS and RDS `https.PORT.NAME.GATEWAY.NS` (gateway-tls.ts); TLS
// servers that terminate forward per the VirtualServices' tcp routes; TCP servers
// likewise; TLS PASSTHROUGH servers pick a chain by SNI (tls_inspector + server_names)
// from the tls routes; AUTO_PASSTHROUGH servers get a chain per mesh service port by
// its mTLS SNI, without VirtualServices (auto-passthrough.ts).
// The gateway's AuthorizationPolicies apply to its TCP and TLS chains as network RBAC
// before tcp_proxy (not to AUTO_PASSTHROUGH chains, as in Istio), and to its HTTP
// servers through the connection manager.
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
import type { TcpTarget } from './filters.ts';
import { tcpRouteTarget, tlsRoutes } from './l4-routes.ts';
import { securityNetworkFilters } from '../security/network-filters.ts';
import { gatewayBindPort } from './gateway-port.ts';
import { autoPassthroughChains } from './auto-passthrough.ts';
import {
  TERMINATING_MODES,
  hasCertificates,
  httpsRouteName,
  serverNames,
  serverTransportSocket,
} from './gateway-tls.ts';

export type ServerKind =
  | 'http'
  | 'https'
  | 'tcp'
  | 'tls-terminated'
  | 'tls-passthrough'
  | 'tls-auto-passthrough'
  | 'unsupported';

export function serverKind(server: Server): ServerKind {
  const protocol = server.port.protocol.toUpperCase();
  if (isHttpProtocol(protocol)) return 'http';
  if (protocol === 'TCP' || protocol === 'MONGO' || protocol === 'MYSQL' || protocol === 'REDIS')
    return 'tcp';
  if (protocol !== 'TLS' && protocol !== 'HTTPS') return 'unsupported';
  const mode = server.tls?.mode ?? '';
  if (mode === 'PASSTHROUGH') return 'tls-passthrough';
  if (mode === 'AUTO_PASSTHROUGH') return 'tls-auto-passthrough';
  if (TERMINATING_MODES.has(mode) && hasCertificates(server))
    return protocol === 'HTTPS' ? 'https' : 'tls-terminated';
  return 'unsupported';
}

export interface PortServers {
  port: number;
  http: GatewayHttpServer[];
  /** HTTPS servers terminating TLS: one chain and one route configuration each. */
  https: GatewayHttpServer[];
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
        byPort.set(
          server.port.number,
          (entry = { port: server.port.number, http: [], https: [], l4: [] }),
        );
      const list = kind === 'http' ? entry.http : kind === 'https' ? entry.https : entry.l4;
      list.push({ gateway, server });
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
  const security = securityNetworkFilters(ctx);
  // Network RBAC, then tcp_proxy named after the (first) cluster it forwards to.
  const filtersTo = (t: TcpTarget) => [
    ...security,
    tcpProxyFilter(t.cluster ?? t.weighted![0]!.name, t),
  ];
  for (const { gateway, server } of entry.l4) {
    const rctx: RouteContext = {
      ...ctx,
      listenPort: entry.port,
      gatewayNames: new Set([gatewayKey(gateway)]),
    };
    const kind = serverKind(server);
    if (kind === 'tls-auto-passthrough') {
      // No VirtualServices: the SNI names the destination. No RBAC either.
      const auto = autoPassthroughChains(ctx, server, seenSni);
      if (auto.length > 0) tls = true;
      chains.push(...auto);
      continue;
    }
    for (const vs of ctx.push.virtualServicesForGateway(gatewayKey(gateway))) {
      if (kind === 'tls-terminated') {
        // TLS ends here; the decrypted stream goes where the VirtualService's tcp routes say.
        const target = tcpRouteTarget(rctx, vs);
        const names = serverNames(server).filter((n) => !seenSni.has(n));
        if (!target || (names.length === 0 && catchAll)) continue;
        names.forEach((n) => seenSni.add(n));
        if (names.length === 0) catchAll = true;
        tls = true;
        chains.push({
          ...(names.length > 0 ? { filter_chain_match: { server_names: names } } : {}),
          filters: filtersTo(target),
          transport_socket: serverTransportSocket(server, false),
        });
        break;
      }
      if (kind === 'tcp') {
        const target = tcpRouteTarget(rctx, vs);
        if (target && !catchAll) {
          catchAll = true;
          chains.push({ filters: filtersTo(target) });
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
          filters: filtersTo(route.target),
        });
      }
    }
  }
  return { chains, tls };
}

/** The HTTP servers' shared chain; beside HTTPS servers it takes plaintext only. */
function plainHttpChain(
  ctx: BuildContext,
  name: string,
  entry: PortServers,
  besideTls: boolean,
): Record<string, unknown> {
  const hcm = hcmFilter({
    statPrefix: `outbound_${name}`,
    rds: httpRouteName(entry.port),
    family: ctx.family,
    useRemoteAddress: true,
    security: { ctx, port: entry.port },
  });
  return besideTls
    ? { filter_chain_match: { transport_protocol: 'raw_buffer' }, filters: [hcm] }
    : { filters: [hcm] };
}

/** One chain per HTTPS server, matched by SNI (a server for `*` takes the rest), first server wins a name. */
function httpsChains(
  ctx: BuildContext,
  name: string,
  entry: PortServers,
): Record<string, unknown>[] {
  const chains: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  let catchAll = false;
  for (const { gateway, server } of entry.https) {
    const names = serverNames(server).filter((n) => !seen.has(n));
    if (names.length === 0 && (catchAll || serverNames(server).length > 0)) continue;
    names.forEach((n) => seen.add(n));
    if (names.length === 0) catchAll = true;
    chains.push({
      filter_chain_match: {
        ...(names.length > 0 ? { server_names: names } : {}),
        transport_protocol: 'tls',
      },
      filters: [
        hcmFilter({
          statPrefix: `outbound_${name}`,
          rds: httpsRouteName(server, gateway),
          family: ctx.family,
          useRemoteAddress: true,
          security: { ctx, port: entry.port },
        }),
      ],
      transport_socket: serverTransportSocket(server, true),
    });
  }
  return chains;
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
    if (entry.https.length > 0) {
      // PASSTHROUGH and terminated TLS servers on the same port are told apart by SNI too.
      const chains = [...httpsChains(ctx, name, entry), ...l4Chains(ctx, entry).chains];
      if (entry.http.length > 0) chains.push(plainHttpChain(ctx, name, entry, true));
      listener.filter_chains = chains;
      listener.listener_filters = [TLS_INSPECTOR_FILTER];
    } else if (entry.http.length > 0) {
      listener.filter_chains = [plainHttpChain(ctx, name, entry, false)];
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
