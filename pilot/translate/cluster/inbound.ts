// A sidecar's inbound clusters `inbound|PORT||`, one per workload port its services
// select: STATIC to 127.0.0.1:PORT, sent from 127.0.0.6 so the capture rules do not
// send the proxy's own forwarded traffic back to 15006 (PLATFORM.md). A
// DestinationRule's connectionPool for the service applies here too, as in Istio.
import type { Endpoint, Service } from '../../model/types.ts';
import type { EnvoyResource } from '../types.ts';
import { socketAddress, u32 } from '../common/envoy.ts';
import { INBOUND_PASSTHROUGH_BIND_IPV4, inboundClusterName } from '../common/names.ts';
import { applyConnectionPool, applyPortProtocol } from './connection-pool.ts';
import type { BuildContext } from './context.ts';
import { finishDraft, newDraft } from './draft.ts';
import { policyForPort } from './policy.ts';

export interface InboundPort {
  /** The workload port (the endpoint's port): the filter chain matches it, the cluster targets it. */
  port: number;
  service: Service;
  endpoint: Endpoint;
}

/** Workload ports of this proxy, one entry per port (the first service by hostname wins a shared port). */
export function inboundPorts(ctx: BuildContext): InboundPort[] {
  const byPort = new Map<number, InboundPort>();
  const instances = [...ctx.push.servicesOfProxy(ctx.proxy)].sort((a, b) =>
    a.service.hostname === b.service.hostname
      ? a.endpoint.servicePort - b.endpoint.servicePort
      : a.service.hostname < b.service.hostname
        ? -1
        : 1,
  );
  for (const { service, endpoint } of instances) {
    if (!byPort.has(endpoint.port))
      byPort.set(endpoint.port, { port: endpoint.port, service, endpoint });
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}

export function buildInboundCluster(ctx: BuildContext, inbound: InboundPort): EnvoyResource {
  const name = inboundClusterName(inbound.port);
  const draft = newDraft({ name, type: 'STATIC', lb_policy: 'ROUND_ROBIN' });
  draft.cluster.common_lb_config = {};
  draft.cluster.load_assignment = {
    cluster_name: name,
    endpoints: [
      {
        lb_endpoints: [{ endpoint: { address: socketAddress('127.0.0.1', inbound.port) } }],
        load_balancing_weight: u32(1),
      },
    ],
  };
  draft.cluster.upstream_bind_config = {
    source_address: { address: INBOUND_PASSTHROUGH_BIND_IPV4, port_value: 0 },
  };
  draft.cluster.metadata = {
    filter_metadata: {
      istio: {
        services: [
          {
            host: inbound.service.hostname,
            name: inbound.service.name,
            namespace: inbound.service.namespace,
          },
        ],
      },
    },
  };
  // The app speaks the port's protocol: HTTP/2 for gRPC ports, the client's for unknown ones.
  applyPortProtocol(
    draft,
    inbound.service.ports.find((p) => p.port === inbound.endpoint.servicePort),
    true,
  );
  const rule = ctx.push.destinationRule(ctx.proxy.namespace, inbound.service.hostname);
  const policy = policyForPort(rule?.spec.trafficPolicy, inbound.endpoint.servicePort);
  applyConnectionPool(draft, policy?.connectionPool, ctx.push.mesh.connectTimeoutMs);
  return finishDraft(draft);
}
