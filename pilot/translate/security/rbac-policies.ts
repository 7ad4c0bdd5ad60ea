// AuthorizationPolicies → the named RBAC Policies of one RBAC filter's rules or
// shadow rules, keyed as Istio keys them (`ns[<ns>]-policy[<name>]-rule[<i>]`, with
// a prefix for CUSTOM). Shared by the AUDIT/DENY/ALLOW filters (rbac.ts) and the
// CUSTOM ones (custom-rbac.ts).
import type { AuthorizationPolicy } from '../../model/authorization.ts';
import { MATCH_NEVER, rbacPolicy, type TcpAction } from './authz-rule.ts';

type Obj = Record<string, unknown>;

export const DRY_RUN_ANNOTATION = 'istio.io/dry-run';
/** The true spellings of Go's strconv.ParseBool, which Istio reads the annotation with. */
const GO_TRUE: ReadonlySet<string> = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);

/** Istio's policy key: `ns[<namespace>]-policy[<name>]-rule[<index>]`. */
export function policyName(namespace: string, name: string, rule: number, prefix = ''): string {
  return `${prefix}ns[${namespace}]-policy[${name}]-rule[${rule}]`;
}

export function isDryRun(p: AuthorizationPolicy): boolean {
  const v = p.metadata.annotations?.[DRY_RUN_ANNOTATION];
  return v !== undefined && GO_TRUE.has(v);
}

/**
 * The RBAC policies (name → Policy) of a list of AuthorizationPolicies; with `tcp`
 * (the filter's action) for a TCP filter chain, where rules that cannot apply are
 * left out or narrowed (authz-rule.ts).
 */
export function policiesOf(
  list: readonly AuthorizationPolicy[],
  prefix: string,
  tcp: TcpAction | undefined,
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
