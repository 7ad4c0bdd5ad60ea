// A sidecar's inbound clusters `inbound|PORT||`, one per workload port its services
// select: STATIC to 127.0.0.1:PORT, sent from 127.0.0.6 so the capture rules do not
// send the proxy's own forwarded traffic back to 15006 (PLATFORM.md). A
// DestinationRule's connectionPool for the service applies here too, as in Istio.
// A Sidecar with `ingress` listeners replaces the service-derived ports with its
// own (sidecar-ingress.ts); without one, a proxy in interception mode NONE has no
// inbound side at all, since binding the workload's ports would take them from it.
import type { Endpoint, Service, ServicePort } from '../../model/types.ts';
import type { EnvoyResource } from '../types.ts';
import { socketAddress, u32 } from '../common/envoy.ts';
import { interceptionNone } from '../common/interception.ts';
import { INBOUND_PASSTHROUGH_BIND_IPV4, inboundClusterName } from '../common/names.ts';
import { applyConnectionPool, applyPortProtocol } from './connection-pool.ts';
import type { BuildContext } from './context.ts';
import { finishDraft, newDraft } from './draft.ts';
import { policyForPort } from './policy.ts';
import { sidecarIngressPorts } from './sidecar-ingress.ts';

/** Where the workload listens: an address, a unix socket, or (undefined) the original destination. */
export type InboundUpstream = { address: string; port: number } | { pipe: string } | undefined;

export interface InboundPort {
  /** The workload port (the endpoint's port): the filter chain matches it, the cluster targets it. */
  port: number;
  service: Service;
  endpoint: Endpoint;
  /** The port's declaration (its protocol), when known. */
  servicePort: ServicePort | undefined;
  upstream: InboundUpstream;
  /** Set when the port is a real listener on this address rather than a chain of virtualInbound. */
  bind?: string;
}

/** Workload ports of this proxy, one entry per port (the first service by hostname wins a shared port). */
export function inboundPorts(ctx: BuildContext): InboundPort[] {
  const sidecar = ctx.push.sidecarFor(ctx.proxy);
  if (sidecar?.spec.ingress?.length) return sidecarIngressPorts(ctx, sidecar);
  if (interceptionNone(ctx.proxy)) return [];
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
      byPort.set(endpoint.port, {
        port: endpoint.port,
        service,
        endpoint,
        servicePort: service.ports.find((p) => p.port === endpoint.servicePort),
        upstream: { address: '127.0.0.1', port: endpoint.port },
      });
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}

export function buildInboundCluster(ctx: BuildContext, inbound: InboundPort): EnvoyResource {
  const name = inboundClusterName(inbound.port);
  const up = inbound.upstream;
  const draft = up
    ? newDraft({ name, type: 'STATIC', lb_policy: 'ROUND_ROBIN' })
    : newDraft({ name, type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' });
  draft.cluster.common_lb_config = {};
  if (up) {
    const address = 'pipe' in up ? { pipe: { path: up.pipe } } : socketAddress(up.address, up.port);
    draft.cluster.load_assignment = {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address } }], load_balancing_weight: u32(1) }],
    };
  }
  // Without capture nothing would send the forwarded traffic back to 15006.
  if (!interceptionNone(ctx.proxy) && !(up && 'pipe' in up))
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
  applyPortProtocol(draft, inbound.servicePort, true);
  const rule = ctx.push.destinationRule(ctx.proxy.namespace, inbound.service.hostname);
  const policy = policyForPort(rule?.spec.trafficPolicy, inbound.endpoint.servicePort);
  applyConnectionPool(draft, policy?.connectionPool, ctx.push.mesh.connectTimeoutMs);
  return finishDraft(draft);
}
