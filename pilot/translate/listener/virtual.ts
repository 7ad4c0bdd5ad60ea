// The two listeners iptables capture sends traffic to. virtualOutbound (15001) hands
// each connection to the listener of its original destination (use_original_dst);
// what matches none passes through (ALLOW_ANY) or is dropped (REGISTRY_ONLY).
// virtualInbound (15006) has filter chains per workload port, to `inbound|PORT||`
// (mTLS, plaintext or both, per PeerAuthentication: inbound-tls.ts), and passes other
// ports through to the workload from 127.0.0.6. The workload's AuthorizationPolicies
// guard its TCP chains (network RBAC) as well as its HTTP ones.
import type { EnvoyResource } from '../types.ts';
import {
  BLACKHOLE_CLUSTER,
  INBOUND_CAPTURE_PORT,
  OUTBOUND_CAPTURE_PORT,
  PASSTHROUGH_CLUSTER,
  VIRTUAL_INBOUND_LISTENER,
  VIRTUAL_OUTBOUND_LISTENER,
  inboundClusterName,
  listenerName,
} from '../common/names.ts';
import { isHttpProtocol } from '../common/protocol.ts';
import { LISTENER } from '../common/type-urls.ts';
import type { BuildContext } from '../cluster/context.ts';
import { inboundPorts } from '../cluster/inbound.ts';
import type { InboundPort } from '../cluster/inbound.ts';
import { outboundPolicy } from '../route/sidecar-routes.ts';
import { listenerAddress, wildcardAddress } from './address.ts';
import { ORIGINAL_DST_FILTER, TLS_INSPECTOR_FILTER, hcmFilter, tcpProxyFilter } from './filters.ts';
import { inboundChainsForMode, needsTlsInspector } from './inbound-tls.ts';
import { METADATA_EXCHANGE_FILTER } from '../common/envoy.ts';
import { securityNetworkFilters } from '../security/network-filters.ts';
import { inboundPassthroughChains, passthroughHttpInspector } from './inbound-passthrough.ts';
import { inboundRouteConfig } from './inbound-route.ts';
import { memoPerPush } from '../common/push-memo.ts';
import { virtualOutboundKey } from './outbound-key.ts';

/** A chain for connections addressed to the capture port itself: a loop, so drop them. */
function loopGuard(name: string, port: number): Record<string, unknown> {
  return {
    name,
    filter_chain_match: { destination_port: { value: port } },
    filters: [tcpProxyFilter(BLACKHOLE_CLUSTER, { cluster: BLACKHOLE_CLUSTER })],
  };
}

/** virtualOutbound, one object per push for every proxy with the same key (outbound-key.ts). */
export function virtualOutboundListener(ctx: BuildContext): EnvoyResource {
  return memoPerPush(ctx.push, virtualOutboundListener, virtualOutboundKey(ctx), () =>
    buildVirtualOutbound(ctx),
  );
}

function buildVirtualOutbound(ctx: BuildContext): EnvoyResource {
  const cluster = outboundPolicy(ctx) === 'REGISTRY_ONLY' ? BLACKHOLE_CLUSTER : PASSTHROUGH_CLUSTER;
  return {
    '@type': LISTENER,
    name: VIRTUAL_OUTBOUND_LISTENER,
    address: listenerAddress(wildcardAddress(ctx.proxy), OUTBOUND_CAPTURE_PORT),
    use_original_dst: { value: true },
    traffic_direction: 'OUTBOUND',
    filter_chains: [
      loopGuard(`${VIRTUAL_OUTBOUND_LISTENER}-blackhole`, OUTBOUND_CAPTURE_PORT),
      { name: 'PassthroughFilterChain', filters: [tcpProxyFilter(cluster, { cluster })] },
    ],
  };
}

function inboundChain(ctx: BuildContext, inbound: InboundPort): Record<string, unknown> {
  const name = listenerName(inbound.bind ?? wildcardAddress(ctx.proxy), inbound.port);
  const cluster = inboundClusterName(inbound.port);
  const port = inbound.servicePort;
  const filters =
    port && isHttpProtocol(port.protocol)
      ? [
          hcmFilter({
            statPrefix: `inbound_${name}`,
            routeConfig: inboundRouteConfig(
              cluster,
              `inbound|http|${inbound.endpoint.servicePort}`,
              `${inbound.service.hostname}:${inbound.endpoint.servicePort}/*`,
            ),
            family: ctx.family,
            inbound: true,
            security: { ctx, port: inbound.port },
          }),
        ]
      : [
          METADATA_EXCHANGE_FILTER,
          ...securityNetworkFilters(ctx),
          tcpProxyFilter(cluster, { cluster }),
        ];
  return { name, filter_chain_match: { destination_port: { value: inbound.port } }, filters };
}

/** One port's chains per its PeerAuthentication mode: mTLS, plaintext, or both (inbound-tls.ts). */
function inboundChains(ctx: BuildContext, inbound: InboundPort): Record<string, unknown>[] {
  const chain = inboundChain(ctx, inbound) as Record<string, unknown> & {
    filter_chain_match: Record<string, unknown>;
  };
  const http = inbound.servicePort !== undefined && isHttpProtocol(inbound.servicePort.protocol);
  return inboundChainsForMode(ctx, inbound.port, chain, http);
}

export function virtualInboundListener(ctx: BuildContext): EnvoyResource {
  const ports = inboundPorts(ctx).filter((p) => p.bind === undefined);
  const portChains = ports.flatMap((p) => inboundChains(ctx, p));
  return {
    '@type': LISTENER,
    name: VIRTUAL_INBOUND_LISTENER,
    address: listenerAddress(wildcardAddress(ctx.proxy), INBOUND_CAPTURE_PORT),
    traffic_direction: 'INBOUND',
    // REDIRECT rewrote the destination: recover it, so chains can match the port;
    // tls_inspector then tells mTLS from plaintext (PeerAuthentication PERMISSIVE),
    // http_inspector plaintext HTTP to undeclared ports (inbound-passthrough.ts).
    listener_filters: [
      ORIGINAL_DST_FILTER,
      ...(needsTlsInspector(portChains) ? [TLS_INSPECTOR_FILTER] : []),
      passthroughHttpInspector(ports.map((p) => p.port)),
    ],
    // A client that never sends a byte (server-first protocol) is not held forever.
    continue_on_listener_filters_timeout: true,
    filter_chains: [
      loopGuard(`${VIRTUAL_INBOUND_LISTENER}-blackhole`, INBOUND_CAPTURE_PORT),
      ...portChains,
      ...inboundPassthroughChains(ctx),
    ],
  };
}

/**
 * Inbound ports that bind for real (Sidecar ingress in captureMode NONE, or any
 * ingress of a proxy in interception mode NONE): a listener `BIND_PORT` each.
 */
export function boundInboundListeners(ctx: BuildContext): EnvoyResource[] {
  return inboundPorts(ctx).flatMap((p) => {
    if (p.bind === undefined) return [];
    const chains = inboundChains(ctx, p);
    return [
      {
        '@type': LISTENER,
        name: listenerName(p.bind, p.port),
        address: listenerAddress(p.bind, p.port),
        traffic_direction: 'INBOUND',
        ...(needsTlsInspector(chains) ? { listener_filters: [TLS_INSPECTOR_FILTER] } : {}),
        filter_chains: chains,
      },
    ];
  });
}
