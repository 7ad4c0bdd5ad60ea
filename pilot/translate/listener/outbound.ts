// A sidecar's outbound listeners, all bind_to_port false: virtualOutbound hands each
// captured connection to the one matching its original destination. HTTP ports get
// `0.0.0.0_PORT` with RDS route config "PORT" (routing by Host); TCP and TLS ports get
// `VIP_PORT` per service address, or SNI / catch-all chains on `0.0.0.0_PORT` for
// services without an address. A proxy in interception mode NONE gets the same
// listeners bound for real on its localhost instead (`127.0.0.1_9080`), as Istio
// does: nothing redirects to 15001, so the app calls them explicitly, and TCP
// services are told apart by port alone (the first one takes a port).
import type { Service, ServicePort } from '../../model/types.ts';
import type { EnvoyResource } from '../types.ts';
import {
  BLACKHOLE_CLUSTER,
  PASSTHROUGH_CLUSTER,
  listenerName,
  outboundClusterName,
} from '../common/names.ts';
import { isHttpProtocol, isTlsProtocol } from '../common/protocol.ts';
import { LISTENER } from '../common/type-urls.ts';
import type { BuildContext } from '../cluster/context.ts';
import { MESH_GATEWAY } from '../route/context.ts';
import type { RouteContext } from '../route/context.ts';
import { outboundPolicy } from '../route/sidecar-routes.ts';
import { memoPerPush } from '../common/push-memo.ts';
import { listenerAddress, wildcardAddress } from './address.ts';
import { interceptionNone, localhostAddress } from '../common/interception.ts';
import {
  HTTP_INSPECTOR_FILTER,
  TLS_INSPECTOR_FILTER,
  hcmFilter,
  tcpProxyFilter,
} from './filters.ts';
import type { TcpTarget } from './filters.ts';
import { l4VirtualServices } from './l4-claims.ts';
import { tcpRouteTarget, tlsRoutes } from './l4-routes.ts';
import { outboundListenersKey } from './outbound-key.ts';

/** The HTTP ports of the services this sidecar sees: one listener and route config each. */
export function outboundHttpPorts(ctx: BuildContext): number[] {
  const ports = new Set<number>();
  for (const s of ctx.push.servicesFor(ctx.proxy))
    for (const p of s.ports) if (isHttpProtocol(p.protocol)) ports.add(p.port);
  return [...ports].sort((a, b) => a - b);
}

function outboundListener(
  ctx: BuildContext,
  name: string,
  address: string,
  port: number,
  chains: Record<string, unknown>[],
  tls: boolean,
  bound: boolean,
): EnvoyResource {
  const listener: EnvoyResource = {
    '@type': LISTENER,
    name,
    address: listenerAddress(address, port),
    ...(bound ? {} : { bind_to_port: { value: false } }),
    traffic_direction: 'OUTBOUND',
    filter_chains: chains,
  };
  if (tls) {
    listener.listener_filters = [TLS_INSPECTOR_FILTER];
    // A client that never sends a ClientHello must not hang forever in the inspector.
    listener.continue_on_listener_filters_timeout = true;
  }
  // A captured connection that no chain matches (a TLS ServiceEntry owns :443 by SNI,
  // and the app calls another HTTPS host) goes where the outbound policy sends
  // unknown traffic, as Istio's default PassthroughFilterChain does, instead of
  // being dropped.
  if (!bound && chains.every((c) => c.filter_chain_match !== undefined))
    listener.default_filter_chain = catchAllChain(ctx);
  return listener;
}

/** Istio's PassthroughFilterChain: PassthroughCluster, or BlackHoleCluster under REGISTRY_ONLY. */
function catchAllChain(ctx: BuildContext): Record<string, unknown> {
  const cluster = outboundPolicy(ctx) === 'REGISTRY_ONLY' ? BLACKHOLE_CLUSTER : PASSTHROUGH_CLUSTER;
  return { name: 'PassthroughFilterChain', filters: [tcpProxyFilter(cluster, { cluster })] };
}

/** Where outbound listeners sit: the wildcard (captured, not bound) or localhost (bound, NONE mode). */
function outboundAddress(ctx: BuildContext): string {
  return interceptionNone(ctx.proxy) ? localhostAddress(ctx.proxy) : wildcardAddress(ctx.proxy);
}

function httpListener(ctx: BuildContext, port: number): EnvoyResource {
  const address = outboundAddress(ctx);
  const name = listenerName(address, port);
  const hcm = hcmFilter({ statPrefix: `outbound_${name}`, rds: String(port), family: ctx.family });
  if (interceptionNone(ctx.proxy)) {
    // Bound for an app that sends HTTP to it on purpose: nothing else arrives here.
    return outboundListener(ctx, name, address, port, [{ filters: [hcm] }], false, true);
  }
  // Captured traffic to an HTTP port may still not be HTTP (Istio's protocol sniffing):
  // http_inspector tells, and what is not HTTP passes through (or is dropped under
  // REGISTRY_ONLY) instead of failing in the HTTP codec.
  const listener = outboundListener(
    ctx,
    name,
    address,
    port,
    [{ filter_chain_match: { application_protocols: ['http/1.1', 'h2c'] }, filters: [hcm] }],
    false,
    false,
  );
  listener.listener_filters = [HTTP_INSPECTOR_FILTER];
  listener.continue_on_listener_filters_timeout = true;
  return listener;
}

/** Filter chains for one TCP/TLS service port: VirtualService routes first, else straight to the service. */
function serviceChains(
  rctx: RouteContext,
  service: Service,
  port: ServicePort,
  sniByDefault: boolean,
): Record<string, unknown>[] {
  const fallback = outboundClusterName(port.port, undefined, service.hostname);
  const chain = (target: TcpTarget, serverNames?: string[]) => {
    const out: Record<string, unknown> = {
      filters: [tcpProxyFilter(target.cluster ?? fallback, target)],
    };
    if (serverNames) out.filter_chain_match = { server_names: serverNames };
    return out;
  };
  const tls = isTlsProtocol(port.protocol);
  for (const vs of l4VirtualServices(rctx, service)) {
    if (tls) {
      const routes = tlsRoutes(rctx, vs);
      if (routes.length > 0) return routes.map((r) => chain(r.target, r.sniHosts));
    }
    const target = tcpRouteTarget(rctx, vs);
    if (target) return [chain(target, sniByDefault && tls ? [service.hostname] : undefined)];
  }
  return [chain({ cluster: fallback }, sniByDefault && tls ? [service.hostname] : undefined)];
}

/**
 * The outbound listeners, shared by every proxy of the push that agrees on what
 * they depend on (outbound-key.ts): callers must not modify them.
 */
export function sidecarOutboundListeners(ctx: BuildContext): readonly EnvoyResource[] {
  return memoPerPush(ctx.push, sidecarOutboundListeners, outboundListenersKey(ctx), () =>
    buildOutboundListeners(ctx),
  );
}

function buildOutboundListeners(ctx: BuildContext): EnvoyResource[] {
  const httpPorts = outboundHttpPorts(ctx);
  const out: EnvoyResource[] = httpPorts.map((p) => httpListener(ctx, p));
  const none = interceptionNone(ctx.proxy);
  const wildcard = outboundAddress(ctx);
  const wildcardChains = new Map<
    number,
    { chains: Record<string, unknown>[]; tls: boolean; catchAll: boolean; names: Set<string> }
  >();
  const vipNames = new Set<string>();

  for (const service of ctx.push.servicesFor(ctx.proxy)) {
    for (const port of service.ports) {
      if (isHttpProtocol(port.protocol) || port.protocol === 'UDP') continue;
      const rctx: RouteContext = {
        ...ctx,
        listenPort: port.port,
        gatewayNames: new Set([MESH_GATEWAY]),
      };
      // Without capture no connection arrives for a VIP: only the port can tell services apart.
      const vips = none ? [] : service.addresses.filter((a) => a !== '0.0.0.0' && !a.includes('/'));
      if (vips.length > 0) {
        for (const vip of vips) {
          const name = listenerName(vip, port.port);
          if (vipNames.has(name)) continue; // two services on one VIP:port: the first (by hostname) keeps it
          vipNames.add(name);
          const chains = serviceChains(rctx, service, port, false);
          out.push(
            outboundListener(
              ctx,
              name,
              vip,
              port.port,
              chains,
              chains.some((c) => c.filter_chain_match),
              false,
            ),
          );
        }
        continue;
      }
      // No address: only SNI can tell services apart; plain TCP takes the port if nothing else does.
      if (httpPorts.includes(port.port)) continue;
      let entry = wildcardChains.get(port.port);
      if (!entry)
        wildcardChains.set(
          port.port,
          (entry = { chains: [], tls: false, catchAll: false, names: new Set() }),
        );
      const chains = serviceChains(rctx, service, port, true);
      for (const c of chains) {
        const names = (c.filter_chain_match as { server_names?: string[] } | undefined)
          ?.server_names;
        if (!names) {
          if (entry.catchAll) continue;
          entry.catchAll = true;
        } else {
          const fresh = names.filter((n) => !entry.names.has(n));
          if (fresh.length === 0) continue;
          fresh.forEach((n) => entry.names.add(n));
          c.filter_chain_match = { server_names: fresh };
          entry.tls = true;
        }
        entry.chains.push(c);
      }
    }
  }
  for (const [port, entry] of [...wildcardChains].sort(([a], [b]) => a - b)) {
    out.push(
      outboundListener(
        ctx,
        listenerName(wildcard, port),
        wildcard,
        port,
        entry.chains,
        entry.tls,
        none,
      ),
    );
  }
  return out;
}
