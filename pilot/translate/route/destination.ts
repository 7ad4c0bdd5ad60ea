// A VirtualService destination → the outbound cluster name it means: the host
// resolved from the VirtualService's namespace, the port given, else the service's
// only port, else the port being routed.
import type { Destination } from '../../../api/istio/index.ts';
import type { VirtualService } from '../../model/types.ts';
import { outboundClusterName } from '../common/names.ts';
import type { RouteContext } from './context.ts';

export function destinationHost(ctx: RouteContext, dest: Destination, vs: VirtualService): string {
  return ctx.push.resolveHost(dest.host, vs.metadata.namespace ?? ctx.proxy.namespace);
}

export function destinationCluster(
  ctx: RouteContext,
  dest: Destination,
  vs: VirtualService,
): string {
  const host = destinationHost(ctx, dest, vs);
  const service = ctx.push.service(host, ctx.proxy.namespace);
  // An ExternalName service is an alias: route to the name it points at.
  const target =
    service?.externalName && ctx.push.service(service.externalName, ctx.proxy.namespace)
      ? service.externalName
      : host;
  let port = ctx.listenPort;
  if (dest.port) port = dest.port.number;
  else if (service && service.ports.length === 1) port = service.ports[0]!.port;
  return outboundClusterName(port, dest.subset, target);
}
