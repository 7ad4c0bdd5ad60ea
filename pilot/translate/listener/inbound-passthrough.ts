// virtualInbound's chains for ports no Service declares, as Istio builds them:
// plaintext HTTP (told by http_inspector) goes through an HTTP connection manager
// to InboundPassthroughCluster, so the workload's HTTP policies and HTTP telemetry
// (istio_requests_total) apply to it; everything else passes through as TCP. The
// http_inspector is switched off (filter_disabled) for the capture port and every
// declared port: their chains match the port alone, and sniffing them would hold
// server-first protocols until the inspector gives up.
import { INBOUND_CAPTURE_PORT, INBOUND_PASSTHROUGH_CLUSTER } from '../common/names.ts';
import type { BuildContext } from '../cluster/context.ts';
import { METADATA_EXCHANGE_FILTER } from '../common/envoy.ts';
import { securityNetworkFilters } from '../security/network-filters.ts';
import { HTTP_INSPECTOR_FILTER, hcmFilter, tcpProxyFilter } from './filters.ts';
import { inboundRouteConfig } from './inbound-route.ts';

/**
 * Plaintext HTTP, other plaintext, then everything else (TLS). The HTTP chain
 * matches raw_buffer as Istio's does: tls_inspector reports a TLS client's ALPN as
 * its application protocols, and `http/1.1` there must not send TLS bytes into an
 * HTTP codec. Envoy does not backtrack from a transport_protocol that matched, so
 * plaintext that is not HTTP needs its own raw_buffer chain.
 */
export function inboundPassthroughChains(ctx: BuildContext): Record<string, unknown>[] {
  const cluster = INBOUND_PASSTHROUGH_CLUSTER;
  // The policies are looked up once; each chain gets its own list.
  const security = securityNetworkFilters(ctx);
  const tcpFilters = () => [
    METADATA_EXCHANGE_FILTER,
    ...security,
    tcpProxyFilter(cluster, { cluster }),
  ];
  return [
    {
      name: 'virtualInbound-catchall-http',
      filter_chain_match: {
        transport_protocol: 'raw_buffer',
        application_protocols: ['http/1.1', 'h2c'],
      },
      filters: [
        hcmFilter({
          statPrefix: cluster,
          routeConfig: inboundRouteConfig(cluster, 'inbound|http|0', ':0/*'),
          family: ctx.family,
          inbound: true,
          security: { ctx, port: undefined },
        }),
      ],
    },
    {
      name: 'InboundPassthroughFilterChain-plaintext',
      filter_chain_match: { transport_protocol: 'raw_buffer' },
      filters: tcpFilters(),
    },
    { name: 'InboundPassthroughFilterChain', filters: tcpFilters() },
  ];
}

function portRange(port: number): Record<string, unknown> {
  return { destination_port_range: { start: port, end: port + 1 } };
}

/** http_inspector, off for the capture port and the declared ports. */
export function passthroughHttpInspector(
  declaredPorts: readonly number[],
): Record<string, unknown> {
  const rules = [INBOUND_CAPTURE_PORT, ...new Set(declaredPorts)]
    .sort((a, b) => a - b)
    .map(portRange);
  return {
    ...HTTP_INSPECTOR_FILTER,
    // or_match needs two rules at least (ListenerFilterChainMatchPredicate.MatchSet).
    filter_disabled: rules.length === 1 ? rules[0] : { or_match: { rules } },
  };
}
