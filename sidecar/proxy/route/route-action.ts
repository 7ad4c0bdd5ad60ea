// RouteAction, RedirectAction and DirectResponseAction compiled for the request path.
import type { Issues } from '../config/issues.ts';
import {
  asArray,
  asObj,
  asString,
  bytesValue,
  durationMs,
  fractionalPercent,
  wrappedBool,
  wrappedNumber,
  type Obj,
} from '../config/values.ts';
import { compilePerFilterConfig } from '../filters/registry.ts';
import { compileSearchRegex, translateSubstitution } from '../match/regex.ts';
import { compileHashPolicies } from './hash-policy.ts';
import { compileHeaderMutation } from './header-mutation.ts';
import { compileRedirect } from './redirect.ts';
import { compileRetryPolicy, type RetryPolicy } from './retry-policy.ts';
import type { ClusterAction, Mirror, RouteAction, WeightedCluster } from './types.ts';

/** Envoy's default route timeout. */
export const DEFAULT_ROUTE_TIMEOUT_MS = 15_000;

const NOT_FOUND_CODES: Record<string, number> = {
  SERVICE_UNAVAILABLE: 503,
  NOT_FOUND: 404,
  INTERNAL_SERVER_ERROR: 500,
};

export interface ActionDefaults {
  retry: RetryPolicy | null;
  mirrors: Mirror[];
}

export function compileAction(
  route: Obj,
  defaults: ActionDefaults,
  issues: Issues,
): RouteAction | undefined {
  const r = asObj(route.route);
  if (r) return compileClusterAction(r, defaults, issues.at('route'));
  const rd = asObj(route.redirect);
  if (rd) return { kind: 'redirect', redirect: compileRedirect(rd, issues.at('redirect')) };
  const dr = asObj(route.direct_response);
  if (dr) {
    const status = wrappedNumber(dr.status);
    if (status === undefined || status < 200 || status >= 600)
      issues.add('status must be 200..599', 'direct_response.status');
    const body = asObj(dr.body);
    let buf: Buffer | null = null;
    if (body) {
      if (typeof body.inline_string === 'string') buf = Buffer.from(body.inline_string);
      else if (body.inline_bytes !== undefined) buf = bytesValue(body.inline_bytes) ?? null;
      else if (body.filename !== undefined)
        issues.add('body.filename is not supported', 'direct_response.body.filename');
      else if (body.environment_variable !== undefined)
        buf = Buffer.from(process.env[String(body.environment_variable)] ?? '');
    }
    return { kind: 'direct', status: status ?? 200, body: buf };
  }
  if (route.non_forwarding_action !== undefined) return { kind: 'non-forwarding' };
  if (route.filter_action !== undefined)
    issues.add('filter_action is not supported', 'filter_action');
  else issues.add('route needs one of route, redirect, direct_response');
  return undefined;
}

function compileClusterAction(
  r: Obj,
  defaults: ActionDefaults,
  issues: Issues,
): ClusterAction | undefined {
  for (const f of [
    'cluster_specifier_plugin',
    'inline_cluster_specifier_plugin',
    'metadata_match',
    'path_rewrite_policy',
    'host_rewrite_path_regex',
    'internal_redirect_policy',
    'hedge_policy',
    'rate_limits',
    'early_data_policy',
  ]) {
    if (r[f] !== undefined) issues.add(`${f} is not supported`, f);
  }
  const action: ClusterAction = {
    kind: 'route',
    cluster: asString(r.cluster) || undefined,
    clusterHeader: asString(r.cluster_header)?.toLowerCase() || undefined,
    weighted: undefined,
    prefixRewrite: asString(r.prefix_rewrite),
    regexRewrite: undefined,
    hostRewrite: asString(r.host_rewrite_literal) || undefined,
    hostRewriteHeader: asString(r.host_rewrite_header)?.toLowerCase() || undefined,
    timeoutMs: durationMs(r.timeout, issues, 'timeout') ?? DEFAULT_ROUTE_TIMEOUT_MS,
    grpcTimeoutMaxMs: undefined,
    retry:
      r.retry_policy !== undefined
        ? compileRetryPolicy(r.retry_policy, issues.at('retry_policy'))
        : defaults.retry,
    hashPolicies: compileHashPolicies(r.hash_policy, issues.at('hash_policy')),
    mirrors:
      r.request_mirror_policies !== undefined
        ? compileMirrors(r.request_mirror_policies, issues.at('request_mirror_policies'))
        : defaults.mirrors,
    upgrades: compileUpgrades(r.upgrade_configs, issues),
    clusterNotFoundCode:
      NOT_FOUND_CODES[asString(r.cluster_not_found_response_code) ?? 'SERVICE_UNAVAILABLE'] ?? 503,
  };
  if (
    r.auto_host_rewrite !== undefined &&
    r.auto_host_rewrite !== false &&
    (r.auto_host_rewrite as Obj)?.value !== false
  ) {
    issues.add('auto_host_rewrite is not supported; use host_rewrite_literal', 'auto_host_rewrite');
  }
  const msd = asObj(r.max_stream_duration);
  if (msd?.grpc_timeout_header_max !== undefined || msd?.max_stream_duration !== undefined) {
    const headerMax = durationMs(
      msd.grpc_timeout_header_max,
      issues,
      'max_stream_duration.grpc_timeout_header_max',
    );
    action.grpcTimeoutMaxMs = headerMax;
    const max = durationMs(
      msd.max_stream_duration,
      issues,
      'max_stream_duration.max_stream_duration',
    );
    if (max !== undefined && max > 0 && (action.timeoutMs === 0 || max < action.timeoutMs))
      action.timeoutMs = max;
  }
  const rw = asObj(r.regex_rewrite);
  if (rw) {
    const pattern = compileSearchRegex(rw.pattern, issues, 'regex_rewrite.pattern');
    if (pattern)
      action.regexRewrite = {
        pattern,
        substitution: translateSubstitution(asString(rw.substitution) ?? ''),
      };
  }
  const wc = asObj(r.weighted_clusters);
  if (wc) {
    const clusters: WeightedCluster[] = [];
    let total = 0;
    asArray(wc.clusters).forEach((c, i) => {
      const ci = issues.at('weighted_clusters').at('clusters').at(i);
      const o = asObj(c);
      const name = asString(o?.name);
      if (!o || !name) return ci.add('name is required', 'name');
      if (o.cluster_header !== undefined)
        return ci.add('cluster_header in weighted clusters is not supported', 'cluster_header');
      const weight = wrappedNumber(o.weight) ?? 0;
      total += weight;
      const perFilter =
        o.typed_per_filter_config !== undefined
          ? compilePerFilterConfig(o.typed_per_filter_config, ci.at('typed_per_filter_config'))
          : null;
      clusters.push({
        name,
        weight,
        requestMutation: compileHeaderMutation(
          o.request_headers_to_add,
          o.request_headers_to_remove,
          ci,
          'request_headers_to_add',
          'request_headers_to_remove',
        ),
        responseMutation: compileHeaderMutation(
          o.response_headers_to_add,
          o.response_headers_to_remove,
          ci,
          'response_headers_to_add',
          'response_headers_to_remove',
        ),
        perFilter,
      });
    });
    const declared = wrappedNumber(wc.total_weight);
    if (declared !== undefined && declared !== total)
      issues.add(
        `total_weight ${declared} does not equal the sum of weights ${total}`,
        'weighted_clusters.total_weight',
      );
    if (clusters.length === 0)
      issues.add('needs at least one cluster', 'weighted_clusters.clusters');
    else if (total <= 0) issues.add('the sum of weights must be positive', 'weighted_clusters');
    action.weighted = { clusters, total };
  }
  const specifiers = [action.cluster, action.clusterHeader, action.weighted].filter(
    (x) => x !== undefined,
  ).length;
  if (specifiers !== 1)
    issues.add('route needs exactly one of cluster, cluster_header, weighted_clusters');
  return action;
}

export function compileMirrors(v: unknown, issues: Issues): Mirror[] {
  const out: Mirror[] = [];
  asArray(v).forEach((m, i) => {
    const o = asObj(m);
    const cluster = asString(o?.cluster);
    if (!o || !cluster) return issues.add('cluster is required', `[${i}].cluster`);
    const rf = asObj(o.runtime_fraction);
    out.push({
      cluster,
      fraction: rf
        ? fractionalPercent(rf.default_value, issues.at(i), 'runtime_fraction.default_value', 1)
        : 1,
    });
  });
  return out;
}

/** Picks a weighted cluster for one request. */
export function pickWeighted(w: { clusters: WeightedCluster[]; total: number }): WeightedCluster {
  let r = Math.random() * w.total;
  for (const c of w.clusters) {
    if (r < c.weight) return c;
    r -= c.weight;
  }
  return w.clusters[w.clusters.length - 1]!;
}

function compileUpgrades(v: unknown, issues: Issues): Map<string, boolean> | undefined {
  const list = asArray(v);
  if (list.length === 0) return undefined;
  const out = new Map<string, boolean>();
  list.forEach((u, i) => {
    const o = asObj(u);
    const t = asString(o?.upgrade_type)?.toLowerCase();
    if (!o || !t)
      return issues.add('upgrade_type is required', `upgrade_configs[${i}].upgrade_type`);
    if (o.connect_config !== undefined)
      issues.add('connect_config is not supported', `upgrade_configs[${i}].connect_config`);
    out.set(t, o.enabled === undefined ? true : wrappedBool(o.enabled, true));
  });
  return out;
}
