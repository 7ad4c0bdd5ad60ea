// The security network filters of a workload's TCP filter chains, in Istio's order
// (buildCompleteNetworkFilters): CUSTOM (network RBAC shadow rules + ext_authz for a
// gRPC provider, ext-authz.ts), then RBAC for AUDIT, DENY, ALLOW, then the
// terminal tcp_proxy. Applied where the workload receives connections: a sidecar's
// inbound TCP ports and inbound passthrough, and a gateway's TCP and TLS servers —
// never a sidecar's outbound chains (Istio issue 39148 was a regression that did).
import type { BuildContext } from '../cluster/context.ts';
import { customNetworkFilters } from './ext-authz.ts';
import { workloadPolicies } from './http-filters.ts';
import { rbacFilters } from './rbac.ts';

type Obj = Record<string, unknown>;

/** The network filters to put before tcp_proxy; none for proxyless gRPC (it has no TCP chains). */
export function securityNetworkFilters(ctx: BuildContext): Obj[] {
  if (ctx.family === 'grpc') return [];
  const p = workloadPolicies(ctx);
  return [...customNetworkFilters(ctx, p.custom), ...rbacFilters({ ...p, custom: [] }, true)];
}
