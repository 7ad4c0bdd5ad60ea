// DestinationRule consistentHash → the route's hash_policy (the cluster gets RING_HASH
// or MAGLEV in cluster/lb.ts; the key comes from the request, so it lives on the
// route). Most specific wins: subset port-level, subset, port-level, top level.
import type { Destination, LoadBalancerSettings } from '../../../api/istio/index.ts';
import { goDuration } from '../common/envoy.ts';
import type { RouteContext } from './context.ts';

type ConsistentHash = NonNullable<LoadBalancerSettings['consistentHash']>;

export function consistentHashFor(
  ctx: RouteContext,
  host: string,
  dest: Pick<Destination, 'subset' | 'port'>,
  port: number,
): ConsistentHash | undefined {
  const rule = ctx.push.destinationRule(ctx.proxy.namespace, host);
  if (!rule) return undefined;
  const top = rule.spec.trafficPolicy;
  const portNumber = dest.port?.number ?? port;
  const portLevel = top?.portLevelSettings?.find((p) => p.port.number === portNumber)?.loadBalancer
    ?.consistentHash;
  const subset = dest.subset ? rule.spec.subsets?.find((s) => s.name === dest.subset) : undefined;
  const subsetPolicy = subset?.trafficPolicy;
  const subsetPortLevel = subsetPolicy?.portLevelSettings?.find((p) => p.port.number === portNumber)
    ?.loadBalancer?.consistentHash;
  return (
    subsetPortLevel ??
    subsetPolicy?.loadBalancer?.consistentHash ??
    portLevel ??
    top?.loadBalancer?.consistentHash
  );
}

export function hashPolicy(hash: ConsistentHash | undefined): Record<string, unknown> | undefined {
  if (!hash) return undefined;
  if (hash.httpHeaderName) return { header: { header_name: hash.httpHeaderName } };
  if (hash.httpCookie) {
    const cookie: Record<string, unknown> = { name: hash.httpCookie.name };
    if (hash.httpCookie.ttl) cookie.ttl = goDuration(hash.httpCookie.ttl);
    if (hash.httpCookie.path) cookie.path = hash.httpCookie.path;
    return { cookie };
  }
  if (hash.useSourceIp) return { connection_properties: { source_ip: true } };
  if (hash.httpQueryParameterName)
    return { query_parameter: { name: hash.httpQueryParameterName } };
  return undefined;
}
