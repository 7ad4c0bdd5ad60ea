// envoy.filters.http.rbac: allows or denies each request by the RBAC rules on the
// connection manager (or the route's RBACPerRoute). A denied request gets Envoy's
// `403 RBAC: access denied` with response code details naming the policy; shadow
// rules are evaluated and recorded in dynamic metadata but never enforced.
import type { Issues } from '../config/issues.ts';
import { asObj, asString, type Obj } from '../config/values.ts';
import { compileRbacEngine, type RbacEngine } from './rbac-engine.ts';
import { setDynamicMetadata, type FactsContext } from './request-facts.ts';
import type { HttpFilter, HttpFilterContext, HttpFilterFactory } from './types.ts';

const TYPE = 'envoy.extensions.filters.http.rbac.v3.RBAC';
const PER_ROUTE_TYPE = 'envoy.extensions.filters.http.rbac.v3.RBACPerRoute';
/** The metadata namespace Envoy's RBAC filter writes (its canonical name). */
const METADATA_NAMESPACE = 'envoy.filters.http.rbac';

export interface RbacConfig {
  rules: RbacEngine | undefined;
  shadow: RbacEngine | undefined;
  shadowPrefix: string;
}

export function compileRbac(c: Obj, issues: Issues): RbacConfig {
  for (const f of ['matcher', 'shadow_matcher'])
    if (c[f] !== undefined) issues.add(`${f} (the xDS matcher API) is not supported; use rules`, f);
  return {
    rules: c.rules !== undefined ? compileRbacEngine(c.rules, issues.at('rules')) : undefined,
    shadow:
      c.shadow_rules !== undefined
        ? compileRbacEngine(c.shadow_rules, issues.at('shadow_rules'))
        : undefined,
    shadowPrefix: asString(c.shadow_rules_stat_prefix) ?? '',
  };
}

/** RBACPerRoute: its `rbac` replaces the filter's config; an empty one turns the filter off for the route. */
function compilePerRoute(c: Obj, issues: Issues): RbacConfig {
  return compileRbac(asObj(c.rbac) ?? {}, issues.at('rbac'));
}

/** What one evaluation of an RBAC config decided. */
export interface RbacDecision {
  /** The enforced rules let it through (always, without rules or with LOG rules). */
  allowed: boolean;
  /** The enforced rules' matching policy, if any. */
  policy: string | undefined;
  /** The shadow rules' verdict; undefined without shadow rules. */
  shadowAllowed: boolean | undefined;
}

/**
 * Evaluates shadow then enforced rules, as Envoy's RBAC filters (HTTP and network)
 * do: the shadow result goes to dynamic metadata under `namespace` (prefixed by
 * shadow_rules_stat_prefix), a LOG match marks the access log hint.
 */
export function decide(cfg: RbacConfig, ctx: FactsContext, namespace: string): RbacDecision {
  let shadowAllowed: boolean | undefined;
  if (cfg.shadow) {
    const matched = cfg.shadow.match(ctx);
    shadowAllowed =
      cfg.shadow.action === 'DENY'
        ? matched === undefined
        : cfg.shadow.action === 'LOG' || matched !== undefined;
    // The policy id only when one matched, as Envoy writes it: ext_authz's
    // filter_enabled_metadata (Istio's CUSTOM) keys on its presence and prefix.
    const fields: Record<string, string> = {
      [`${cfg.shadowPrefix}shadow_engine_result`]: shadowAllowed ? 'allowed' : 'denied',
    };
    if (matched !== undefined) fields[`${cfg.shadowPrefix}shadow_effective_policy_id`] = matched;
    setDynamicMetadata(ctx, namespace, fields);
  }
  const engine = cfg.rules;
  if (!engine) return { allowed: true, policy: undefined, shadowAllowed };
  const policy = engine.match(ctx);
  if (engine.action === 'LOG') {
    // AUDIT: never refuses; tells access loggers this one should be logged.
    if (policy !== undefined) setDynamicMetadata(ctx, 'envoy.common', { access_log_hint: true });
    return { allowed: true, policy, shadowAllowed };
  }
  const allowed = engine.action === 'ALLOW' ? policy !== undefined : policy === undefined;
  return { allowed, policy, shadowAllowed };
}

/** Envoy's response code details (and connection termination details) of a denial. */
export function deniedDetails(policy: string | undefined): string {
  return `rbac_access_denied_matched_policy[${policy ?? 'none'}]`;
}

class RbacFilter implements HttpFilter {
  readonly name: string;
  private readonly cfg: RbacConfig;

  constructor(name: string, cfg: RbacConfig) {
    this.name = name;
    this.cfg = cfg;
  }

  decodeHeaders(ctx: HttpFilterContext): boolean {
    const cfg = (ctx.perFilterConfig(this.name) as RbacConfig | undefined) ?? this.cfg;
    const d = decide(cfg, ctx, METADATA_NAMESPACE);
    if (d.allowed) return true;
    ctx.sendLocalReply(403, 'RBAC: access denied', { details: deniedDetails(d.policy) });
    return false;
  }
}

export const rbacFactory: HttpFilterFactory = {
  typeName: TYPE,
  create(name, config, issues) {
    return new RbacFilter(name, compileRbac(config, issues));
  },
  perRoute: { [PER_ROUTE_TYPE]: compilePerRoute },
};
