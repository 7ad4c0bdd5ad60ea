// VirtualService route destinations → the route action's cluster or weighted_clusters,
// with per-destination header operations and the destinations' consistent-hash keys.
// Weights are passed as given (Envoy v3 divides by their sum, so 30/70 and 3/7 mean
// the same); destinations of weight 0 are left out; all-unset weights split evenly.
import type { HTTPRouteDestination } from '../../../api/istio/index.ts';
import type { VirtualService } from '../../model/types.ts';
import { u32 } from '../common/envoy.ts';
import type { RouteContext } from './context.ts';
import { destinationCluster, destinationHost } from './destination.ts';
import { consistentHashFor, hashPolicy } from './hash-policy.ts';
import { applyHeaderOperations, headerOperations } from './headers.ts';

export interface DestinationResult {
  /** True when some destination uses consistent hashing (retries then stay on the same host). */
  consistentHash: boolean;
}

export function applyDestinations(
  ctx: RouteContext,
  vs: VirtualService,
  destinations: readonly HTTPRouteDestination[],
  route: Record<string, unknown>,
  action: Record<string, unknown>,
): DestinationResult {
  const hashes: Record<string, unknown>[] = [];
  const hashOf = (d: HTTPRouteDestination) => {
    const policy = hashPolicy(
      consistentHashFor(
        ctx,
        destinationHost(ctx, d.destination, vs),
        d.destination,
        ctx.listenPort,
      ),
    );
    if (policy) hashes.push(policy);
  };

  if (destinations.length === 1) {
    const d = destinations[0]!;
    action.cluster = destinationCluster(ctx, d.destination, vs);
    const ops = headerOperations(d.headers);
    applyHeaderOperations(route, ops);
    if (ops.authority && action.host_rewrite_literal === undefined)
      action.host_rewrite_literal = ops.authority;
    hashOf(d);
  } else {
    const allUnset = destinations.every((d) => !d.weight);
    const clusters: Record<string, unknown>[] = [];
    for (const d of destinations) {
      if (!allUnset && !d.weight) continue;
      const entry: Record<string, unknown> = {
        name: destinationCluster(ctx, d.destination, vs),
        weight: u32(allUnset ? 1 : d.weight!),
      };
      const ops = headerOperations(d.headers);
      applyHeaderOperations(entry, ops);
      if (ops.authority) entry.host_rewrite_literal = ops.authority;
      clusters.push(entry);
      hashOf(d);
    }
    action.weighted_clusters = { clusters };
  }
  if (hashes.length > 0) action.hash_policy = hashes;
  return { consistentHash: hashes.length > 0 };
}
