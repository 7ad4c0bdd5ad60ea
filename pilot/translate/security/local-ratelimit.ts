// Petrel's LocalRateLimit (api/petrel/README.md) → Envoy's local rate limit filter:
// on the HTTP connection manager for a port's bucket, in a route's
// typed_per_filter_config for a route's own bucket, in the form Istio's rate
// limiting task writes by EnvoyFilter (100% enabled and enforced, draft-03
// x-ratelimit-* headers, `x-local-rate-limit: true` on limited responses).
import { envoyDuration, parseDurationMs } from '../../../api/istio/duration.ts';
import type { TokenBucketSpec } from '../../../api/petrel/local-rate-limit.ts';
import type { LocalRateLimit } from '../../model/authorization.ts';
import { LOCAL_RATE_LIMIT, LOCAL_RATELIMIT_FILTER } from './names.ts';

type Obj = Record<string, unknown>;

const STAT_PREFIX = 'http_local_rate_limiter';
const ALL = { numerator: 100, denominator: 'HUNDRED' };

function tokenBucket(b: TokenBucketSpec): Obj {
  return {
    max_tokens: b.maxTokens,
    tokens_per_fill: { value: b.tokensPerFill ?? b.maxTokens },
    fill_interval: envoyDuration(parseDurationMs(b.fillInterval)!),
  };
}

/** A complete, enforcing LocalRateLimit message for one bucket. */
function limitConfig(bucket: TokenBucketSpec, headers: boolean): Obj {
  const cfg: Obj = {
    '@type': LOCAL_RATE_LIMIT,
    stat_prefix: STAT_PREFIX,
    token_bucket: tokenBucket(bucket),
    filter_enabled: { runtime_key: 'local_rate_limit_enabled', default_value: ALL },
    filter_enforced: { runtime_key: 'local_rate_limit_enforced', default_value: ALL },
    response_headers_to_add: [
      {
        append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
        header: { key: 'x-local-rate-limit', value: 'true' },
      },
    ],
  };
  if (headers) cfg.enable_x_ratelimit_headers = 'DRAFT_VERSION_03';
  return cfg;
}

function forPort(policies: readonly LocalRateLimit[], port: number | undefined): LocalRateLimit[] {
  return policies.filter(
    (p) => !p.spec.ports?.length || (port !== undefined && p.spec.ports.includes(port)),
  );
}

/**
 * The HCM filter for a port: the oldest policy with a tokenBucket sets it. When only
 * route buckets apply, the filter is there without one (Envoy then leaves requests
 * alone unless their route carries a bucket).
 */
export function localRateLimitFilter(
  policies: readonly LocalRateLimit[],
  port: number | undefined,
): Obj | undefined {
  const applicable = forPort(policies, port);
  if (applicable.length === 0) return undefined;
  const withBucket = applicable.find((p) => p.spec.tokenBucket !== undefined);
  const typed_config = withBucket
    ? limitConfig(withBucket.spec.tokenBucket!, withBucket.spec.rateLimitHeaders !== false)
    : { '@type': LOCAL_RATE_LIMIT, stat_prefix: STAT_PREFIX };
  return { name: LOCAL_RATELIMIT_FILTER, typed_config };
}

/** Route name → its typed_per_filter_config entry, the oldest policy first for a name given twice. */
export function routeRateLimits(
  policies: readonly LocalRateLimit[],
  port: number | undefined,
): Map<string, Obj> {
  const out = new Map<string, Obj>();
  for (const p of forPort(policies, port))
    for (const r of p.spec.routes ?? [])
      if (!out.has(r.name))
        out.set(r.name, limitConfig(r.tokenBucket, p.spec.rateLimitHeaders !== false));
  return out;
}

/**
 * A RouteConfiguration with the route buckets added to the routes they name (a copy;
 * the input is left alone). For the RDS generators to apply to what they build.
 */
export function withRouteRateLimits(routeConfig: Obj, limits: ReadonlyMap<string, Obj>): Obj {
  if (limits.size === 0) return routeConfig;
  const vhosts = (routeConfig.virtual_hosts as Obj[] | undefined) ?? [];
  return {
    ...routeConfig,
    virtual_hosts: vhosts.map((vh) => ({
      ...vh,
      routes: ((vh.routes as Obj[] | undefined) ?? []).map((r) => {
        const limit = typeof r.name === 'string' ? limits.get(r.name) : undefined;
        if (!limit) return r;
        const perFilter = (r.typed_per_filter_config as Obj | undefined) ?? {};
        return { ...r, typed_per_filter_config: { ...perFilter, [LOCAL_RATELIMIT_FILTER]: limit } };
      }),
    })),
  };
}
