// envoy.config.route.v3.RetryPolicy compiled, and the decision "is this outcome
// retriable?" (x-envoy-retry-on semantics:
// https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-retry-on).
import type { Issues } from '../config/issues.ts';
import {
  asArray,
  asNumber,
  asObj,
  asString,
  durationMs,
  wrappedNumber,
  type Obj,
} from '../config/values.ts';
import type { HeaderMap, UpstreamFailure } from '../upstream/types.ts';

export interface RetryPolicy {
  on5xx: boolean;
  gatewayError: boolean;
  reset: boolean;
  resetBeforeRequest: boolean;
  connectFailure: boolean;
  retriable4xx: boolean;
  refusedStream: boolean;
  retriableStatusCodes: ReadonlySet<number> | null;
  /** gRPC status codes (from grpc-status) that are retriable. */
  grpcCodes: ReadonlySet<number>;
  numRetries: number;
  perTryTimeoutMs: number;
  /** retry_host_predicate previous_hosts: pick a host not tried before. */
  previousHosts: boolean;
  hostSelectionMaxAttempts: number;
  baseIntervalMs: number;
  maxIntervalMs: number;
}

const GRPC: Record<string, number> = {
  cancelled: 1,
  'deadline-exceeded': 4,
  'resource-exhausted': 8,
  unavailable: 14,
  internal: 13,
};
const KNOWN = new Set([
  '5xx',
  'gateway-error',
  'reset',
  'reset-before-request',
  'connect-failure',
  'retriable-4xx',
  'refused-stream',
  'retriable-status-codes',
  'retriable-headers',
  'envoy-ratelimited',
  'http3-post-connect-failure',
  ...Object.keys(GRPC),
]);
const PREVIOUS_HOSTS = 'envoy.retry_host_predicates.previous_hosts';

export function compileRetryPolicy(v: unknown, issues: Issues): RetryPolicy | null {
  const p = asObj(v);
  if (!p) return null;
  const on = new Set<string>();
  for (const raw of (asString(p.retry_on) ?? '').split(',')) {
    const t = raw.trim();
    if (t === '') continue;
    if (!KNOWN.has(t)) issues.add(`unknown retry_on condition "${t}"`, 'retry_on');
    else on.add(t);
  }
  if (on.has('retriable-headers') && asArray(p.retriable_headers).length > 0) {
    issues.add('retriable_headers matching is not supported', 'retriable_headers');
  }
  if (asArray(p.retry_priority ? [p.retry_priority] : []).length > 0)
    issues.add('retry_priority is not supported', 'retry_priority');
  let previousHosts = false;
  asArray(p.retry_host_predicate).forEach((pred, i) => {
    const name = asString(asObj(pred)?.name);
    if (
      name === PREVIOUS_HOSTS ||
      asString((asObj(pred)?.typed_config as Obj | undefined)?.['@type'])?.endsWith(
        'PreviousHostsPredicate',
      )
    )
      previousHosts = true;
    else
      issues.add(
        `retry host predicate ${name ?? '(unnamed)'} is not supported`,
        `retry_host_predicate[${i}]`,
      );
  });
  const codes = asArray(p.retriable_status_codes)
    .map((c) => asNumber(c))
    .filter((c): c is number => c !== undefined);
  const backoff = asObj(p.retry_back_off);
  const base = durationMs(backoff?.base_interval, issues, 'retry_back_off.base_interval') ?? 25;
  const grpcCodes = new Set<number>();
  for (const [name, code] of Object.entries(GRPC)) if (on.has(name)) grpcCodes.add(code);
  return {
    on5xx: on.has('5xx'),
    gatewayError: on.has('gateway-error'),
    reset: on.has('reset'),
    resetBeforeRequest: on.has('reset-before-request'),
    connectFailure: on.has('connect-failure'),
    retriable4xx: on.has('retriable-4xx'),
    refusedStream: on.has('refused-stream'),
    retriableStatusCodes: on.has('retriable-status-codes') ? new Set(codes) : null,
    grpcCodes,
    numRetries: wrappedNumber(p.num_retries) ?? 1,
    perTryTimeoutMs: durationMs(p.per_try_timeout, issues, 'per_try_timeout') ?? 0,
    previousHosts,
    hostSelectionMaxAttempts: asNumber(p.host_selection_retry_max_attempts) ?? 1,
    baseIntervalMs: base,
    maxIntervalMs:
      durationMs(backoff?.max_interval, issues, 'retry_back_off.max_interval') ?? base * 10,
  };
}

/** Whether an upstream response (headers) may be retried under `p`. */
export function retriableResponse(p: RetryPolicy, status: number, headers: HeaderMap): boolean {
  if (p.on5xx && status >= 500) return true;
  if (p.gatewayError && (status === 502 || status === 503 || status === 504)) return true;
  if (p.retriable4xx && status === 409) return true;
  if (p.retriableStatusCodes?.has(status)) return true;
  if (p.grpcCodes.size > 0) {
    const gs = headers['grpc-status'];
    if (typeof gs === 'string' && p.grpcCodes.has(Number(gs))) return true;
  }
  return false;
}

/** Whether a failure before or during the response may be retried (only before headers went downstream). */
export function retriableFailure(p: RetryPolicy, failure: UpstreamFailure): boolean {
  switch (failure) {
    case 'connect-failure':
      return p.connectFailure || p.on5xx || p.gatewayError || p.reset || p.resetBeforeRequest;
    case 'refused-stream':
      return p.refusedStream || p.on5xx || p.reset;
    case 'reset':
      return p.reset || p.on5xx || p.gatewayError;
    case 'timeout':
      return p.on5xx || p.gatewayError || p.reset;
    case 'overflow':
      return false;
  }
}

/** Envoy's fully jittered exponential backoff: uniform in [0, min(base·2^n, max)). */
export function backoffMs(p: RetryPolicy, retry: number): number {
  const ceiling = Math.min(p.baseIntervalMs * 2 ** Math.min(retry, 20), p.maxIntervalMs);
  return Math.random() * ceiling;
}
