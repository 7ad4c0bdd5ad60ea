// The security HTTP filters of one workload's HTTP connection manager, in Istio's
// order (listener_builder.go): CUSTOM (RBAC shadow rules + ext_authz per provider),
// then jwt_authn (so RBAC can read the verified token), then RBAC (AUDIT, DENY,
// ALLOW), then the local rate limit; fault, CORS and the router follow
// (pilot/translate/listener/filters.ts). Applied where the workload receives
// requests: a sidecar's inbound ports and a gateway's server ports.
import type { BuildContext } from '../cluster/context.ts';
import { NO_POLICIES, type LocalRateLimit } from '../../model/authorization.ts';
import type { EnvoyResource } from '../types.ts';
import { customHttpFilters } from './ext-authz.ts';
import { jwtAuthnFilter } from './jwt-authn.ts';
import { localRateLimitFilter, routeRateLimits, withRouteRateLimits } from './local-ratelimit.ts';
import { rbacFilters } from './rbac.ts';

type Obj = Record<string, unknown>;

/** The policies selecting this proxy's workload (none when the push has no index of them). */
export function workloadPolicies(ctx: BuildContext) {
  return ctx.push.workloadPolicies?.(ctx.proxy) ?? NO_POLICIES;
}

/**
 * The filters to put before fault/CORS/router on an HCM serving `port` of this
 * proxy's workload. Proxyless gRPC gets none: it rejects filters it does not know.
 */
export function securityHttpFilters(ctx: BuildContext, port: number | undefined): Obj[] {
  if (ctx.family === 'grpc') return [];
  const p = workloadPolicies(ctx);
  const out: Obj[] = customHttpFilters(ctx, p.custom);
  const jwt = jwtAuthnFilter(p.requestAuthentications);
  if (jwt) out.push(jwt);
  out.push(...rbacFilters({ ...p, custom: [] }));
  const limit = localRateLimitFilter(p.localRateLimits, port);
  if (limit) out.push(limit);
  return out;
}

/** A route configuration served on `port` with this proxy's LocalRateLimit route buckets applied. */
export function applyRouteRateLimits(
  ctx: BuildContext,
  port: number,
  routeConfig: EnvoyResource,
): EnvoyResource {
  const limits: readonly LocalRateLimit[] = workloadPolicies(ctx).localRateLimits;
  if (limits.length === 0) return routeConfig;
  return withRouteRateLimits(routeConfig, routeRateLimits(limits, port)) as EnvoyResource;
}
