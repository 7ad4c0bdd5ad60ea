// How a cluster finds its endpoints, from the service's resolution: EDS over ADS for
// registry services (Kubernetes, STATIC ServiceEntries), STRICT_DNS / LOGICAL_DNS
// with the endpoints inline for DNS ServiceEntries and ExternalName services,
// ORIGINAL_DST for headless services and resolution NONE.
import type { Endpoint, Service, ServicePort } from '../../model/types.ts';
import { adsConfigSource } from '../common/envoy.ts';
import { ipv6Only } from '../common/interception.ts';
import { localityLbEndpoints } from '../endpoint/locality.ts';
import type { BuildContext } from './context.ts';

export type DiscoveryType = 'EDS' | 'STRICT_DNS' | 'LOGICAL_DNS' | 'ORIGINAL_DST';

export function discoveryType(service: Service): DiscoveryType {
  if (service.externalName) return 'STRICT_DNS';
  switch (service.resolution) {
    case 'DNS':
      return 'STRICT_DNS';
    case 'DNS_ROUND_ROBIN':
      return 'LOGICAL_DNS';
    case 'PASSTHROUGH':
      return 'ORIGINAL_DST';
    default:
      return service.headless ? 'ORIGINAL_DST' : 'EDS';
  }
}

/**
 * Endpoints for a DNS cluster. A DNS ServiceEntry without endpoints resolves its
 * host itself (and an ExternalName service its external name), as Istio does.
 */
export function dnsEndpoints(
  ctx: BuildContext,
  service: Service,
  port: ServicePort,
  subsetLabels?: Record<string, string>,
): Endpoint[] {
  const listed = ctx.push.endpoints(service.hostname, port.port, subsetLabels);
  if (listed.length > 0 && !service.externalName) return [...listed];
  const host = service.externalName ?? service.hostname;
  if (host.startsWith('*') || subsetLabels) return [];
  const targetPort = typeof port.targetPort === 'number' ? port.targetPort : port.port;
  return [
    {
      address: host,
      port: targetPort,
      servicePort: port.port,
      servicePortName: port.name,
      labels: {},
      healthy: true,
      draining: false,
      locality: { region: '', zone: '', subzone: '' },
      namespace: service.namespace,
      tlsMode: 'disabled',
    },
  ];
}

/**
 * Sets type and the endpoint source on `cluster`. Returns false when a DNS cluster
 * has nothing to resolve: Istio leaves such a cluster out (routes to it then fail
 * with "no cluster", as for an unknown destination). `keep` narrows a DNS cluster's
 * inline endpoints as EDS narrows the others' (SNI-DNAT clusters: mTLS ones only).
 */
export function applyDiscovery(
  ctx: BuildContext,
  cluster: Record<string, unknown> & { name: string },
  service: Service,
  port: ServicePort,
  subsetLabels?: Record<string, string>,
  keep?: (e: Endpoint) => boolean,
): boolean {
  const type = discoveryType(service);
  cluster.type = type;
  if (type === 'EDS') {
    cluster.eds_cluster_config = { eds_config: adsConfigSource(), service_name: cluster.name };
  } else if (type === 'STRICT_DNS' || type === 'LOGICAL_DNS') {
    let endpoints = dnsEndpoints(ctx, service, port, subsetLabels);
    if (keep) endpoints = endpoints.filter(keep);
    if (endpoints.length === 0) return false;
    // Envoy allows exactly one endpoint in a LOGICAL_DNS cluster.
    if (type === 'LOGICAL_DNS') endpoints = endpoints.slice(0, 1);
    cluster.load_assignment = {
      cluster_name: cluster.name,
      endpoints: localityLbEndpoints(endpoints, ctx.proxy.clusterId),
    };
    cluster.dns_lookup_family = ipv6Only(ctx.proxy) ? 'V6_ONLY' : 'V4_ONLY';
    cluster.respect_dns_ttl = true;
  }
  return true;
}
