// The RBAC half of CUSTOM authorization, as Istio's authz builder makes it: per
// provider, an RBAC filter that only evaluates the CUSTOM rules (shadow rules named
// `istio-ext-authz-<provider>-…`, whose match the ext_authz filter after it reads
// from dynamic metadata), or, when the provider cannot be used, an enforced DENY of
// those rules (`…-deny-due-to-bad-CUSTOM-action`): fail closed, never open.
import type { AuthorizationPolicy } from '../../model/authorization.ts';
import {
  BAD_CUSTOM_SUFFIX,
  EXT_AUTHZ_MATCH_PREFIX,
  EXT_AUTHZ_SHADOW_PREFIX,
  NETWORK_RBAC,
  NETWORK_RBAC_FILTER,
  RBAC,
  RBAC_FILTER,
  TCP_RBAC_STAT_PREFIX,
} from './names.ts';
import { isDryRun, policiesOf } from './rbac-policies.ts';

type Obj = Record<string, unknown>;

/** The CUSTOM policies of one workload that name one provider. */
export interface CustomGroup {
  provider: string;
  enforced: AuthorizationPolicy[];
  dryRun: AuthorizationPolicy[];
}

/** CUSTOM policies by provider, providers sorted by name (Istio's order). */
export function groupByProvider(custom: readonly AuthorizationPolicy[]): CustomGroup[] {
  const groups = new Map<string, CustomGroup>();
  for (const p of custom) {
    const provider = p.spec.provider?.name ?? '';
    let g = groups.get(provider);
    if (!g) groups.set(provider, (g = { provider, enforced: [], dryRun: [] }));
    (isDryRun(p) ? g.dryRun : g.enforced).push(p);
  }
  return [...groups.values()].sort((a, b) =>
    a.provider < b.provider ? -1 : a.provider > b.provider ? 1 : 0,
  );
}

/** `istio-ext-authz-<provider>`: what every policy name of the provider starts with. */
export function providerMatchPrefix(provider: string): string {
  return `${EXT_AUTHZ_MATCH_PREFIX}-${provider}`;
}

function policies(list: readonly AuthorizationPolicy[], provider: string, tcp: boolean) {
  // CUSTOM rules act as DENY rules on TCP chains: HTTP-only fields are dropped, so they match more.
  return policiesOf(list, `${providerMatchPrefix(provider)}-`, tcp ? 'DENY' : undefined);
}

function rbacFilter(config: Obj, tcp: boolean): Obj {
  if (tcp) config.stat_prefix = TCP_RBAC_STAT_PREFIX;
  return {
    name: tcp ? NETWORK_RBAC_FILTER : RBAC_FILTER,
    typed_config: { '@type': tcp ? NETWORK_RBAC : RBAC, ...config },
  };
}

/**
 * The RBAC filter before a provider's ext_authz: enforced CUSTOM policies as shadow
 * rules (evaluated, their match written to dynamic metadata, never enforced).
 * Dry-run CUSTOM policies go into `rules`, exactly as Istio puts them: Envoy
 * enforces `rules`, so a dry-run CUSTOM policy denies what it matches.
 */
export function customShadowFilter(g: CustomGroup, tcp: boolean): Obj {
  const config: Obj = {
    shadow_rules: { action: 'DENY', policies: policies(g.enforced, g.provider, tcp) },
    shadow_rules_stat_prefix: EXT_AUTHZ_SHADOW_PREFIX,
  };
  const dryRun = policies(g.dryRun, g.provider, tcp);
  if (Object.keys(dryRun).length > 0) config.rules = { action: 'DENY', policies: dryRun };
  return rbacFilter(config, tcp);
}

/** The enforced DENY that replaces a provider Petrel cannot use (dry-run policies left out, as Istio). */
export function badCustomFilter(g: CustomGroup, tcp: boolean): Obj {
  const denied: Record<string, Obj> = {};
  for (const [name, policy] of Object.entries(policies(g.enforced, g.provider, tcp)))
    denied[`${name}${BAD_CUSTOM_SUFFIX}`] = policy;
  return rbacFilter({ rules: { action: 'DENY', policies: denied } }, tcp);
}
