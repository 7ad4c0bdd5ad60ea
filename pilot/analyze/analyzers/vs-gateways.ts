// IST0101 / IST0132: every gateway a VirtualService names must exist, and a
// Gateway it binds to must admit at least one of its hosts (Istio's
// virtualservice.GatewayAnalyzer). Host admission is the gateway route
// builder's own (server `ns/host` entries, wildcard overlap), so a warning
// here means the VirtualService gets no virtual host on that gateway.
import type { VirtualServiceSpec } from '../../../api/istio/index.ts';
import type { VirtualService } from '../../model/types.ts';
import { MESH_GATEWAY, resolveGatewayName } from '../../model/virtual-service-index.ts';
import { admittedHosts } from '../../translate/route/gateway-routes.ts';
import { MESSAGES } from '../messages.ts';
import type { Analyzer } from '../types.ts';
import { gatewaysOf } from './vs-walk.ts';

export const gatewayReferenceAnalyzer: Analyzer = {
  name: 'virtualservice.GatewayAnalyzer',
  description: 'Checks the gateways associated with each virtual service',
  analyze(ctx) {
    for (const vs of ctx.snapshot.list('VirtualService')) {
      const namespace = vs.metadata.namespace ?? 'default';
      const spec = vs.spec as VirtualServiceSpec;
      const resolved = ctx.push.virtualService?.(namespace, vs.metadata.name);
      for (const ref of gatewaysOf(spec)) {
        if (ref.name === MESH_GATEWAY) continue;
        const full = resolveGatewayName(ref.name, namespace);
        const gateway = ctx.push.gateway?.(full);
        if (!gateway) {
          ctx.report(MESSAGES.ReferencedResourceNotFound.make('gateway', ref.name), vs, ref.path);
          continue;
        }
        if (!ref.binding || !resolved || !spec.hosts?.length) continue;
        const admitted = gateway.spec.servers.some(
          (server) => admittedHosts(server, gateway, resolved as VirtualService).length > 0,
        );
        if (!admitted) {
          ctx.report(
            MESSAGES.VirtualServiceHostNotFoundInGateway.make(
              spec.hosts,
              `${namespace}/${vs.metadata.name}`,
              full,
            ),
            vs,
            ['spec', 'hosts'],
          );
        }
      }
    }
  },
};
