// IST0101 / IST0112: every host a VirtualService routes or mirrors to must be
// a service visible from the VirtualService's namespace, on a port it has; a
// destination of a multi-port service must say which port (Istio's
// virtualservice.DestinationHostAnalyzer).
import type { VirtualServiceSpec } from '../../../api/istio/index.ts';
import { MESSAGES } from '../messages.ts';
import type { Analyzer } from '../types.ts';
import { destinationsOf } from './vs-walk.ts';

export const destinationHostAnalyzer: Analyzer = {
  name: 'virtualservice.DestinationHostAnalyzer',
  description: 'Checks the destination hosts associated with each virtual service',
  analyze(ctx) {
    for (const vs of ctx.snapshot.list('VirtualService')) {
      const namespace = vs.metadata.namespace ?? 'default';
      for (const d of destinationsOf(vs.spec as VirtualServiceSpec)) {
        const hostPath = [...d.path, 'host'];
        const service = ctx.services.find(ctx.push.resolveHost(d.host, namespace), namespace);
        if (!service) {
          ctx.report(MESSAGES.ReferencedResourceNotFound.make(d.role, d.host), vs, hostPath);
          continue;
        }
        const ports = service.ports.map((p) => p.port);
        if (d.port === undefined) {
          if (ports.length > 1) {
            ctx.report(
              MESSAGES.VirtualServiceDestinationPortSelectorRequired.make(d.host, ports),
              vs,
              hostPath,
            );
          }
        } else if (ports.length > 0 && !ports.includes(d.port)) {
          // A ServiceEntry without ports (some TLS/TCP passthrough entries) accepts any port.
          ctx.report(
            MESSAGES.ReferencedResourceNotFound.make('host:port', `${d.host}:${d.port}`),
            vs,
            [...d.path, 'port', 'number'],
          );
        }
      }
    }
  },
};
