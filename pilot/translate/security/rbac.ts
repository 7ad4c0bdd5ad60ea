// AuthorizationPolicies → Envoy RBAC HTTP filters, in Istio's evaluation order:
// CUSTOM, then AUDIT (action LOG), then DENY, then ALLOW, one filter per action
// (security/authz/builder). A request is denied when a DENY policy matches it, or
// when ALLOW policies exist and none matches (`403 RBAC: access denied`); with no
// ALLOW policy there is no ALLOW filter and everything not denied passes. Policies
// annotated `istio.io/dry-run: "true"` go into shadow_rules: evaluated, never enforced.
//
// TCP filter chains get the same in network RBAC filters (stat_prefix `tcp.`), built
// with Istio's TCP rules (authz-rule.ts): an ALLOW policy none of whose rules survive
// there leaves an ALLOW filter with no policy, which refuses every connection.
//
// CUSTOM delegates matching requests to an external authorizer (ext_authz), which
// Petrel does not build. Letting them through unchecked would open what the policy
// meant to guard, so they are denied instead: Istio likewise fails closed when a
// CUSTOM provider cannot be used. Validation reports CUSTOM as not supported.
import type { AuthorizationPolicy } from '../../model/authorization.ts';
import { MATCH_NEVER, rbacPolicy } from './authz-rule.ts';
import {
  NETWORK_RBAC,
  NETWORK_RBAC_FILTER,
  RBAC,
  RBAC_FILTER,
  SHADOW_ALLOW_PREFIX,
  SHADOW_DENY_PREFIX,
  TCP_RBAC_STAT_PREFIX,
} from './names.ts';

type Obj = Record<string, unknown>;
type Action = 'ALLOW' | 'DENY' | 'LOG';

export const DRY_RUN_ANNOTATION = 'istio.io/dry-run';

/** Istio's policy key: `ns[<namespace>]-policy[<name>]-rule[<index>]`. */
export function policyName(namespace: string, name: string, rule: number, prefix = ''): string {
  return `${prefix}ns[${namespace}]-policy[${name}]-rule[${rule}]`;
}

function isDryRun(p: AuthorizationPolicy): boolean {
  return p.metadata.annotations?.[DRY_RUN_ANNOTATION]?.toLowerCase() === 'true';
}

/**
 * The RBAC policies (name → Policy) of a list of AuthorizationPolicies; with `tcp`
 * for a TCP filter chain, where rules that cannot apply are left out.
 */
function policiesOf(
  list: readonly AuthorizationPolicy[],
  prefix: string,
  tcp: Action | undefined,
): Record<string, Obj> {
  const out: Record<string, Obj> = {};
  for (const p of list) {
    const ns = p.metadata.namespace ?? 'default';
    const rules = p.spec.rules ?? [];
    // A policy without rules never matches: an ALLOW one then allows nothing.
    if (rules.length === 0) out[policyName(ns, p.metadata.name, 0, prefix)] = MATCH_NEVER;
    rules.forEach((rule, i) => {
      const policy = rbacPolicy(rule, ns, tcp);
      if (policy) out[policyName(ns, p.metadata.name, i, prefix)] = policy;
    });
  }
  return out;
}

function rbacFilter(
  list: readonly AuthorizationPolicy[],
  action: Action,
  tcp: boolean,
  prefix = '',
): Obj | undefined {
  if (list.length === 0) return undefined;
  const enforced = list.filter((p) => !isDryRun(p));
  const dryRun = list.filter(isDryRun);
  const config: Obj = { '@type': tcp ? NETWORK_RBAC : RBAC };
  const forTcp = tcp ? action : undefined;
  if (enforced.length > 0)
    config.rules = { action, policies: policiesOf(enforced, prefix, forTcp) };
  if (tcp) config.stat_prefix = TCP_RBAC_STAT_PREFIX;
  if (dryRun.length > 0) {
    config.shadow_rules = { action, policies: policiesOf(dryRun, prefix, forTcp) };
    if (action !== 'LOG')
      config.shadow_rules_stat_prefix =
        action === 'ALLOW' ? SHADOW_ALLOW_PREFIX : SHADOW_DENY_PREFIX;
  }
  return { name: tcp ? NETWORK_RBAC_FILTER : RBAC_FILTER, typed_config: config };
}

export interface AuthorizationPolicies {
  allow: readonly AuthorizationPolicy[];
  deny: readonly AuthorizationPolicy[];
  audit: readonly AuthorizationPolicy[];
  custom: readonly AuthorizationPolicy[];
}

/**
 * The RBAC filters for a workload's policies, in evaluation order: HTTP filters for
 * a connection manager, or (`tcp`) network filters to put before tcp_proxy.
 */
export function rbacFilters(p: AuthorizationPolicies, tcp = false): Obj[] {
  return [
    rbacFilter(p.custom, 'DENY', tcp, 'istio-ext-authz-'),
    rbacFilter(p.audit, 'LOG', tcp),
    rbacFilter(p.deny, 'DENY', tcp),
    rbacFilter(p.allow, 'ALLOW', tcp),
  ].filter((f) => f !== undefined);
}
