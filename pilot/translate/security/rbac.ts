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
// CUSTOM policies delegate to an external authorizer: with the push's mesh config
// that is ext-authz.ts (RBAC shadow rules + ext_authz per provider). Here, without
// one, no provider can be resolved, and Istio then denies what the CUSTOM rules
// match (custom-rbac.ts badCustomFilter): fail closed, never open.
import type { AuthorizationPolicy } from '../../model/authorization.ts';
import { badCustomFilter, groupByProvider } from './custom-rbac.ts';
import {
  NETWORK_RBAC,
  NETWORK_RBAC_FILTER,
  RBAC,
  RBAC_FILTER,
  SHADOW_ALLOW_PREFIX,
  SHADOW_DENY_PREFIX,
  TCP_RBAC_STAT_PREFIX,
} from './names.ts';
import { isDryRun, policiesOf } from './rbac-policies.ts';

export { DRY_RUN_ANNOTATION, policyName } from './rbac-policies.ts';

type Obj = Record<string, unknown>;
type Action = 'ALLOW' | 'DENY' | 'LOG';

function rbacFilter(
  list: readonly AuthorizationPolicy[],
  action: Action,
  tcp: boolean,
): Obj | undefined {
  if (list.length === 0) return undefined;
  const enforced = list.filter((p) => !isDryRun(p));
  const dryRun = list.filter(isDryRun);
  const config: Obj = { '@type': tcp ? NETWORK_RBAC : RBAC };
  const forTcp = tcp ? action : undefined;
  if (enforced.length > 0) config.rules = { action, policies: policiesOf(enforced, '', forTcp) };
  if (tcp) config.stat_prefix = TCP_RBAC_STAT_PREFIX;
  if (dryRun.length > 0) {
    config.shadow_rules = { action, policies: policiesOf(dryRun, '', forTcp) };
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
  /** CUSTOM policies whose providers cannot be resolved here: denied (see above). */
  custom: readonly AuthorizationPolicy[];
}

/**
 * The RBAC filters for a workload's policies, in evaluation order: HTTP filters for
 * a connection manager, or (`tcp`) network filters to put before tcp_proxy.
 */
export function rbacFilters(p: AuthorizationPolicies, tcp = false): Obj[] {
  return [
    ...groupByProvider(p.custom).map((g) => badCustomFilter(g, tcp)),
    rbacFilter(p.audit, 'LOG', tcp),
    rbacFilter(p.deny, 'DENY', tcp),
    rbacFilter(p.allow, 'ALLOW', tcp),
  ].filter((f) => f !== undefined);
}
