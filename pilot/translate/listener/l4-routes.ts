// VirtualService tcp and tls routes → tcp_proxy targets. A tcp route applies when
// its first applicable match (port, source labels, gateways) says so; a tls route
// yields one SNI filter chain per match. Weights as for HTTP (weight-0 entries dropped).
import type { TCPRoute, TLSRoute } from '../../../api/istio/index.ts';

type RouteDestination = TCPRoute['route'][number];
import type { VirtualService } from '../../model/types.ts';
import type { RouteContext } from '../route/context.ts';
import { qualifyGateway } from '../route/context.ts';
import { destinationCluster } from '../route/destination.ts';
import type { TcpTarget } from './filters.ts';

interface L4Match {
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
}

function l4MatchApplies(ctx: RouteContext, vs: VirtualService, match: L4Match): boolean {
  if (match.port !== undefined && match.port !== ctx.listenPort) return false;
  if (match.gateways?.length)
    return match.gateways.some((g) => ctx.gatewayNames.has(qualifyGateway(g, vs)));
  if (match.sourceNamespace && match.sourceNamespace !== ctx.proxy.namespace) return false;
  return Object.entries(match.sourceLabels ?? {}).every(([k, v]) => ctx.proxy.labels[k] === v);
}

export function tcpTarget(
  ctx: RouteContext,
  vs: VirtualService,
  destinations: readonly RouteDestination[],
): TcpTarget {
  if (destinations.length === 1)
    return { cluster: destinationCluster(ctx, destinations[0]!.destination, vs) };
  const allUnset = destinations.every((d) => !d.weight);
  const weighted = destinations
    .filter((d) => allUnset || d.weight)
    .map((d) => ({
      name: destinationCluster(ctx, d.destination, vs),
      weight: allUnset ? 1 : d.weight!,
    }));
  return { weighted };
}

/** The first tcp route of `vs` that applies here, as a tcp_proxy target. */
export function tcpRouteTarget(ctx: RouteContext, vs: VirtualService): TcpTarget | undefined {
  for (const route of vs.spec.tcp ?? ([] as TCPRoute[])) {
    const applies = !route.match?.length || route.match.some((m) => l4MatchApplies(ctx, vs, m));
    if (applies) return tcpTarget(ctx, vs, route.route);
  }
  return undefined;
}

export interface SniRoute {
  sniHosts: string[];
  target: TcpTarget;
}

/** Every applicable tls route match of `vs`: SNI hosts → target. */
export function tlsRoutes(ctx: RouteContext, vs: VirtualService): SniRoute[] {
  const out: SniRoute[] = [];
  for (const route of vs.spec.tls ?? ([] as TLSRoute[])) {
    for (const match of route.match) {
      if (l4MatchApplies(ctx, vs, match))
        out.push({ sniHosts: match.sniHosts, target: tcpTarget(ctx, vs, route.route) });
    }
  }
  return out;
}
