// envoy.filters.http.local_ratelimit: a token bucket per connection manager (or per
// route, from typed_per_filter_config). A request finding the bucket empty gets
// `429 local_rate_limited` (flag RL) when enforced; with
// enable_x_ratelimit_headers DRAFT_VERSION_03 every response through the bucket
// carries x-ratelimit-limit, x-ratelimit-remaining and x-ratelimit-reset.
import { lookupEnum } from '../../../api/envoy/registry.ts';
import type { Issues } from '../config/issues.ts';
import {
  asArray,
  asNumber,
  asObj,
  asString,
  durationMs,
  fractionalPercent,
  wrappedBool,
  wrappedNumber,
  type Obj,
} from '../config/values.ts';
import type { HeaderMap } from '../upstream/types.ts';
import { TokenBucket } from './token-bucket.ts';
import type { HttpFilter, HttpFilterContext, HttpFilterFactory } from './types.ts';

const TYPE = 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
/** gRPC UNAVAILABLE, or RESOURCE_EXHAUSTED with rate_limited_as_resource_exhausted. */
const GRPC_UNAVAILABLE = 14;
const GRPC_RESOURCE_EXHAUSTED = 8;

export interface LocalRateLimitConfig {
  bucket: TokenBucket | undefined;
  status: number;
  enabled: number;
  enforced: number;
  headersToAdd: HeaderOption[];
  headersWhenNotEnforced: HeaderOption[];
  xRateLimitHeaders: boolean;
  grpcStatus: number;
}

/** envoy.type.v3.HttpStatus: the enum's name (object form) or its number. */
function httpStatus(v: unknown, issues: Issues): number {
  const code = asObj(v)?.code;
  if (code === undefined) return 429;
  const n =
    typeof code === 'string' ? lookupEnum('envoy.type.v3.StatusCode').values[code] : asNumber(code);
  if (n === undefined || n < 200 || n > 599) {
    issues.add(`unknown status code ${JSON.stringify(code)}`, 'status.code');
    return 429;
  }
  return n;
}

type HeaderAction =
  | 'APPEND_IF_EXISTS_OR_ADD'
  | 'ADD_IF_ABSENT'
  | 'OVERWRITE_IF_EXISTS_OR_ADD'
  | 'OVERWRITE_IF_EXISTS';
type HeaderOption = [name: string, value: string, action: HeaderAction];
const HEADER_ACTIONS = new Set([
  'APPEND_IF_EXISTS_OR_ADD',
  'ADD_IF_ABSENT',
  'OVERWRITE_IF_EXISTS_OR_ADD',
  'OVERWRITE_IF_EXISTS',
]);

/** HeaderValueOption: append_action, or the deprecated `append` (default true). */
function headerOptions(v: unknown, issues: Issues, field: string): HeaderOption[] {
  const out: HeaderOption[] = [];
  asArray(v).forEach((raw, i) => {
    const o = asObj(raw) ?? {};
    const h = asObj(o.header);
    const key = asString(h?.key)?.toLowerCase();
    if (!key) return issues.add('header.key is required', `${field}[${i}].header.key`);
    let action = asString(o.append_action) as HeaderAction | undefined;
    if (action !== undefined && !HEADER_ACTIONS.has(action))
      return issues.add(`unknown append_action ${action}`, `${field}[${i}].append_action`);
    action ??= wrappedBool(o.append, true)
      ? 'APPEND_IF_EXISTS_OR_ADD'
      : 'OVERWRITE_IF_EXISTS_OR_ADD';
    out.push([key, asString(h!.value) ?? '', action]);
  });
  return out;
}

function runtimePercent(v: unknown, issues: Issues, field: string): number {
  const o = asObj(v);
  // Absent: Envoy's default is 0% (the filter only counts, or does nothing).
  return o ? fractionalPercent(o.default_value, issues, `${field}.default_value`, 0) : 0;
}

export function compileLocalRateLimit(c: Obj, issues: Issues): LocalRateLimitConfig {
  if (asArray(c.descriptors).length > 0) issues.add('descriptors are not supported', 'descriptors');
  if (c.local_rate_limit_per_downstream_connection === true)
    issues.add(
      'local_rate_limit_per_downstream_connection is not supported',
      'local_rate_limit_per_downstream_connection',
    );
  if (c.local_cluster_rate_limit !== undefined)
    issues.add('local_cluster_rate_limit is not supported', 'local_cluster_rate_limit');
  let bucket: TokenBucket | undefined;
  const tb = asObj(c.token_bucket);
  if (tb) {
    const max = asNumber(tb.max_tokens) ?? 0;
    const perFill = wrappedNumber(tb.tokens_per_fill) ?? 1;
    const interval = durationMs(tb.fill_interval, issues, 'token_bucket.fill_interval');
    if (max < 1) issues.add('max_tokens must be at least 1', 'token_bucket.max_tokens');
    else if (interval === undefined || interval < 50)
      // Envoy's own limit: "local rate limit token bucket fill timer must be >= 50ms".
      issues.add('fill_interval must be at least 50ms', 'token_bucket.fill_interval');
    else bucket = new TokenBucket(max, perFill, interval);
  }
  return {
    bucket,
    status: httpStatus(c.status, issues),
    enabled: runtimePercent(c.filter_enabled, issues, 'filter_enabled'),
    enforced: runtimePercent(c.filter_enforced, issues, 'filter_enforced'),
    headersToAdd: headerOptions(c.response_headers_to_add, issues, 'response_headers_to_add'),
    headersWhenNotEnforced: headerOptions(
      c.request_headers_to_add_when_not_enforced,
      issues,
      'request_headers_to_add_when_not_enforced',
    ),
    xRateLimitHeaders: asString(c.enable_x_ratelimit_headers) === 'DRAFT_VERSION_03',
    grpcStatus:
      c.rate_limited_as_resource_exhausted === true ? GRPC_RESOURCE_EXHAUSTED : GRPC_UNAVAILABLE,
  };
}

function addHeaders(target: HeaderMap, list: readonly HeaderOption[]): void {
  for (const [k, v, action] of list) {
    const cur = target[k];
    if (action === 'ADD_IF_ABSENT' && cur !== undefined) continue;
    if (action === 'OVERWRITE_IF_EXISTS' && cur === undefined) continue;
    target[k] =
      action === 'APPEND_IF_EXISTS_OR_ADD' && cur !== undefined
        ? Array.isArray(cur)
          ? [...cur, v]
          : [cur, v]
        : v;
  }
}

/** The bucket a request went through, for the response's x-ratelimit-* headers. */
const seen = new WeakMap<object, LocalRateLimitConfig>();

class LocalRateLimitFilter implements HttpFilter {
  readonly name: string;
  private readonly cfg: LocalRateLimitConfig;

  constructor(name: string, cfg: LocalRateLimitConfig) {
    this.name = name;
    this.cfg = cfg;
  }

  private configFor(ctx: HttpFilterContext): LocalRateLimitConfig {
    return (ctx.perFilterConfig(this.name) as LocalRateLimitConfig | undefined) ?? this.cfg;
  }

  decodeHeaders(ctx: HttpFilterContext): boolean {
    const cfg = this.configFor(ctx);
    if (!cfg.bucket || cfg.enabled === 0 || (cfg.enabled < 1 && Math.random() >= cfg.enabled))
      return true;
    // Remembered only for the x-ratelimit-* headers: no WeakMap write per request otherwise.
    if (cfg.xRateLimitHeaders) seen.set(ctx.request, cfg);
    if (cfg.bucket.consume()) return true;
    const enforced = cfg.enforced >= 1 || (cfg.enforced > 0 && Math.random() < cfg.enforced);
    if (!enforced) {
      addHeaders(ctx.request.headers, cfg.headersWhenNotEnforced);
      return true;
    }
    const headers: HeaderMap = {};
    addHeaders(headers, cfg.headersToAdd);
    ctx.sendLocalReply(cfg.status, 'local_rate_limited', {
      headers,
      flag: 'RL',
      details: 'local_rate_limited',
      ...(ctx.isGrpc ? { grpcStatus: cfg.grpcStatus } : {}),
    });
    return false;
  }

  encodeHeaders(ctx: HttpFilterContext, _status: number, headers: HeaderMap): void {
    const cfg = seen.get(ctx.request);
    if (!cfg?.xRateLimitHeaders || !cfg.bucket) return;
    headers['x-ratelimit-limit'] = String(cfg.bucket.maxTokens);
    headers['x-ratelimit-remaining'] = String(cfg.bucket.remaining);
    headers['x-ratelimit-reset'] = String(cfg.bucket.resetSeconds);
  }
}

export const localRateLimitFactory: HttpFilterFactory = {
  typeName: TYPE,
  create(name, config, issues) {
    return new LocalRateLimitFilter(name, compileLocalRateLimit(config, issues));
  },
  perRoute: { [TYPE]: compileLocalRateLimit },
};
