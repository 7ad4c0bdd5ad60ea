// Config pieces the HTTP and the network ext_authz filters share: the gRPC service
// (envoy_grpc only), ListStringMatchers over header names, HttpStatus codes, and
// the rule that no field is silently ignored.
import { lookupEnum } from '../../../api/envoy/registry.ts';
import type { Issues } from '../config/issues.ts';
import {
  bytesValue,
  asArray,
  asNumber,
  asObj,
  asString,
  durationMs,
  isObj,
  wrappedNumber,
  type Obj,
} from '../config/values.ts';
import { compileStringMatcher, type StringPredicate } from '../match/string-matcher.ts';
import type { HeaderMap } from '../upstream/types.ts';
import { DEFAULT_MAX_RESPONSE_BYTES } from './grpc-unary.ts';

export type NamePredicate = StringPredicate;

export interface GrpcTarget {
  kind: 'grpc';
  cluster: string;
  /** :authority of the call: envoy_grpc.authority, else the cluster name (Envoy's default). */
  authority: string;
  /** grpc_service.timeout; Envoy's ext_authz default is 200 ms; 0: none. */
  timeoutMs: number;
  metadata: HeaderMap;
  maxResponseBytes: number;
  /** skip_envoy_headers: no x-envoy-* headers on the call. */
  skipEnvoyHeaders: boolean;
}

export const CHECK_PATH = '/envoy.service.auth.v3.Authorization/Check';
export const DEFAULT_TIMEOUT_MS = 200;

/** A value that is more than its proto3 default (false, '', 0, [] and {} are unset). */
function isSet(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === '' || v === 0) return false;
  if (Array.isArray(v)) return v.length > 0;
  return !(isObj(v) && Object.keys(v).length === 0);
}

/**
 * Reports every set field not in `known`: an error, or for those in `warn` a warning
 * saying what is not done.
 */
export function reportUnknownFields(
  c: Obj,
  known: readonly string[],
  issues: Issues,
  warn: Readonly<Record<string, string>> = {},
): void {
  for (const [k, v] of Object.entries(c)) {
    if (k === '@type' || known.includes(k) || !isSet(v)) continue;
    if (k in warn) issues.warn(`accepted but not acted on: ${warn[k]}`, k);
    else issues.add('is not supported by this proxy', k);
  }
}

/**
 * ListStringMatcher over header names. Names are lowercase here, so the patterns
 * match case-insensitively (`X-Ext-Authz` in Istio's includeRequestHeadersInCheck
 * is the same header as `x-ext-authz`). Undefined when the list is absent.
 */
export function compileNamePredicate(v: unknown, issues: Issues): NamePredicate | undefined {
  const l = asObj(v);
  if (!l) return undefined;
  const preds: StringPredicate[] = [];
  asArray(l.patterns).forEach((p, i) => {
    const m = asObj(p);
    const pred = compileStringMatcher(
      m ? { ...m, ignore_case: true } : p,
      issues,
      `patterns[${i}]`,
    );
    if (pred) preds.push(pred);
  });
  return (name) => {
    for (const p of preds) if (p(name)) return true;
    return false;
  };
}

/**
 * envoy.type.v3.HttpStatus → a number (the enum by name or number); `dflt` when
 * unset or unknown, which config (`issues`) reports and an authorizer's answer does not.
 */
export function httpStatusCode(v: unknown, dflt: number, issues?: Issues): number {
  const o = asObj(v);
  if (!o || o.code === undefined) return dflt;
  const code = o.code;
  const n =
    typeof code === 'string' ? lookupEnum('envoy.type.v3.StatusCode').values[code] : asNumber(code);
  if (n === undefined || n < 100 || n > 599) {
    issues?.add(`unknown status code ${JSON.stringify(code)}`, 'code');
    return dflt;
  }
  return n;
}

/** A HeaderValue's value: `value`, else `raw_value` (bytes) read as latin1. */
export function headerValueOf(h: Obj): string {
  return asString(h.value) || (bytesValue(h.raw_value)?.toString('latin1') ?? '');
}

export function compileGrpcService(v: unknown, issues: Issues): GrpcTarget | undefined {
  const g = asObj(v) ?? {};
  reportUnknownFields(g, ['envoy_grpc', 'timeout', 'initial_metadata'], issues, {
    retry_policy: 'failed checks are not retried',
  });
  const e = asObj(g.envoy_grpc);
  if (!e) {
    if (g.google_grpc === undefined) issues.add('envoy_grpc is required', 'envoy_grpc');
    return undefined;
  }
  const ei = issues.at('envoy_grpc');
  reportUnknownFields(
    e,
    ['cluster_name', 'authority', 'max_receive_message_length', 'skip_envoy_headers'],
    ei,
    {
      retry_policy: 'failed checks are not retried',
    },
  );
  const cluster = asString(e.cluster_name);
  if (!cluster) {
    ei.add('cluster_name is required', 'cluster_name');
    return undefined;
  }
  const metadata: HeaderMap = {};
  asArray(g.initial_metadata).forEach((h, i) => {
    const o = asObj(h);
    const key = asString(o?.key)?.toLowerCase();
    if (!key) return issues.add('key is required', `initial_metadata[${i}].key`);
    metadata[key] = headerValueOf(o!);
  });
  return {
    kind: 'grpc',
    cluster,
    authority: asString(e.authority) || cluster,
    timeoutMs: durationMs(g.timeout, issues, 'timeout') ?? DEFAULT_TIMEOUT_MS,
    metadata,
    maxResponseBytes: wrappedNumber(e.max_receive_message_length) || DEFAULT_MAX_RESPONSE_BYTES,
    skipEnvoyHeaders: e.skip_envoy_headers === true,
  };
}
