// The clusters Istio gives every sidecar besides the services': BlackHoleCluster
// (drops traffic: REGISTRY_ONLY and unknown routes), PassthroughCluster (forwards to
// the original destination: ALLOW_ANY) and InboundPassthroughCluster (inbound
// traffic to ports no service declares, sent from 127.0.0.6 so iptables lets it through).
import { envoyDuration } from '../../../api/istio/duration.ts';
import type { Proxy } from '../../model/proxy.ts';
import type { EnvoyResource } from '../types.ts';
import { CLUSTER, HTTP_PROTOCOL_OPTIONS, HTTP_PROTOCOL_OPTIONS_KEY } from '../common/type-urls.ts';
import {
  BLACKHOLE_CLUSTER,
  INBOUND_PASSTHROUGH_BIND_IPV4,
  INBOUND_PASSTHROUGH_BIND_IPV6,
  INBOUND_PASSTHROUGH_CLUSTER,
  PASSTHROUGH_CLUSTER,
} from '../common/names.ts';
import { circuitBreakers } from './circuit-breakers.ts';

export function blackHoleCluster(connectTimeoutMs: number): EnvoyResource {
  return {
    '@type': CLUSTER,
    name: BLACKHOLE_CLUSTER,
    type: 'STATIC',
    connect_timeout: envoyDuration(connectTimeoutMs),
    lb_policy: 'ROUND_ROBIN',
  };
}

/** Passthrough traffic may be HTTP/1.1 or HTTP/2 (sniffed): keep the client's protocol, idle out after 5m. */
function passthroughProtocolOptions(): Record<string, unknown> {
  return {
    [HTTP_PROTOCOL_OPTIONS_KEY]: {
      '@type': HTTP_PROTOCOL_OPTIONS,
      common_http_protocol_options: { idle_timeout: '300s' },
      use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} },
    },
  };
}

export function passthroughCluster(connectTimeoutMs: number): EnvoyResource {
  return {
    '@type': CLUSTER,
    name: PASSTHROUGH_CLUSTER,
    type: 'ORIGINAL_DST',
    connect_timeout: envoyDuration(connectTimeoutMs),
    lb_policy: 'CLUSTER_PROVIDED',
    circuit_breakers: circuitBreakers(undefined),
    typed_extension_protocol_options: passthroughProtocolOptions(),
  };
}

export function inboundPassthroughCluster(proxy: Proxy, connectTimeoutMs: number): EnvoyResource {
  const v4 = proxy.ips.length === 0 || proxy.ips.some((ip) => !ip.includes(':'));
  const v6 = proxy.ips.some((ip) => ip.includes(':'));
  const bind: Record<string, unknown> = {
    source_address: {
      address: v4 ? INBOUND_PASSTHROUGH_BIND_IPV4 : INBOUND_PASSTHROUGH_BIND_IPV6,
      port_value: 0,
    },
  };
  // Dual stack: Envoy picks the source matching the destination's family.
  if (v4 && v6)
    bind.extra_source_addresses = [
      { address: { address: INBOUND_PASSTHROUGH_BIND_IPV6, port_value: 0 } },
    ];
  return {
    ...passthroughCluster(connectTimeoutMs),
    name: INBOUND_PASSTHROUGH_CLUSTER,
    upstream_bind_config: bind,
  };
}
