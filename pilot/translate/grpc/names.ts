// How proxyless gRPC clients name what they want: a target `xds:///reviews:9080`
// makes the client ask LDS for `reviews:9080`, so names may be short (`reviews`,
// `reviews.default`, `reviews.default.svc`) or full, with or without a port. Istio's
// grpcgen expands them relative to the client's namespace; so does Petrel.
import type { Service } from '../../model/types.ts';
import { splitHostPort } from '../common/names.ts';
import type { BuildContext } from '../cluster/context.ts';

export interface RequestedListener {
  /** The name as requested: the listener is sent back under it. */
  name: string;
  service: Service;
  /** The port asked for; undefined means every port of the service. */
  port?: number;
}

/** The service a requested host means, trying the name as given, then its expansions. */
export function resolveRequestedHost(ctx: BuildContext, host: string): Service | undefined {
  const ns = ctx.proxy.namespace;
  const domain = ctx.push.mesh.clusterDomain;
  const candidates = [host, ctx.push.resolveHost(host, ns)];
  const dots = host.split('.').length - 1;
  if (dots === 1) candidates.push(`${host}.svc.${domain}`);
  if (host.endsWith('.svc')) candidates.push(`${host}.${domain}`);
  for (const candidate of candidates) {
    const service = ctx.push.service(candidate, ns);
    if (service) return service;
  }
  return undefined;
}

/** Server-side (xDS server) listener names: Petrel does not configure gRPC servers yet. */
export const SERVER_LISTENER_PREFIX = 'xds.istio.io/grpc/lds/inbound/';

export function parseRequestedListeners(
  ctx: BuildContext,
  names: readonly string[],
): RequestedListener[] {
  const out: RequestedListener[] = [];
  for (const name of names) {
    if (name.startsWith(SERVER_LISTENER_PREFIX)) continue;
    const { host, port } = splitHostPort(name);
    const service = resolveRequestedHost(ctx, host);
    if (service) out.push({ name, service, port });
  }
  return out;
}
