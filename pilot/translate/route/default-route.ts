// The route Istio gives a service no VirtualService covers: everything to
// `outbound|PORT||HOST`, no timeout, the default retry policy, and the hash key of a
// DestinationRule consistentHash (which would otherwise never be used).
import type { Service } from '../../model/types.ts';
import { outboundClusterName } from '../common/names.ts';
import type { RouteContext } from './context.ts';
import { consistentHashFor, hashPolicy } from './hash-policy.ts';
import { retryPolicy } from './retry.ts';
import { applyTimeout } from './timeout.ts';

export function defaultRoute(
  ctx: RouteContext,
  service: Service,
  port: number,
): Record<string, unknown> {
  const action: Record<string, unknown> = {
    cluster: outboundClusterName(port, undefined, service.hostname),
  };
  applyTimeout(action, undefined, ctx.family);
  const hash = hashPolicy(consistentHashFor(ctx, service.hostname, {}, port));
  if (hash) action.hash_policy = [hash];
  action.retry_policy = retryPolicy(undefined, hash !== undefined);
  return {
    name: 'default',
    match: { prefix: '/' },
    route: action,
    decorator: { operation: `${service.hostname}:${port}/*` },
  };
}
