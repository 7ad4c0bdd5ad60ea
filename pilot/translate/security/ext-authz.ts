// AuthorizationPolicies with action CUSTOM → what Istio's authz builder emits
// (security/authz/builder/builder.go, IsCustomBuilder), first in a workload's
// security filters. Per provider the workload's CUSTOM policies name, in name
// order: an RBAC filter evaluating their rules as shadow rules, then ext_authz,
// enabled only when one of those rules matched (filter_enabled_metadata), so only
// the requests a CUSTOM policy selects are sent to the authorizer.
//
// When a provider cannot be used (no such ext_authz provider, a bad one, its service
// unknown), or the CUSTOM policies of one workload name more than one provider
// (Istio allows one per workload unless PILOT_ENABLE_MULTIPLE_CUSTOM_AUTHZ_PROVIDERS
// is set), the rules become an enforced DENY instead: fail closed, and one line in
// pilot's log. On TCP filter chains only gRPC providers apply (envoy.filters.network
// .ext_authz speaks the gRPC Check API); an HTTP provider is skipped there, as in
// Istio, with a line saying so.
import type { AuthorizationPolicy } from '../../model/authorization.ts';
import type { BuildContext } from '../cluster/context.ts';
import {
  badCustomFilter,
  customShadowFilter,
  groupByProvider,
  type CustomGroup,
} from './custom-rbac.ts';
import { extAuthzProviders, type ResolvedProvider } from './ext-authz-providers.ts';
import { EXT_AUTHZ_FILTER, NETWORK_EXT_AUTHZ_FILTER } from './names.ts';
import { reportTranslation } from './translation-log.ts';

type Obj = Record<string, unknown>;

const keyOf = (p: AuthorizationPolicy) => `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
const policiesOf = (g: CustomGroup) => [...g.enforced, ...g.dryRun].map(keyOf).join(', ');

function unusable(ctx: BuildContext, g: CustomGroup, r: ResolvedProvider | undefined): string {
  const known = [...extAuthzProviders(ctx.push).keys()].sort();
  const why =
    r?.error ??
    `no ext_authz provider of that name in the mesh config's extensionProviders (${known.length > 0 ? `there are: ${known.join(', ')}` : 'there are none'})`;
  return `CUSTOM policy ${policiesOf(g)}: provider "${g.provider}" cannot be used: ${why}; the requests it matches are denied`;
}

function build(ctx: BuildContext, custom: readonly AuthorizationPolicy[], tcp: boolean): Obj[] {
  if (custom.length === 0) return [];
  const groups = groupByProvider(custom);
  if (groups.length > 1) {
    reportTranslation(
      ctx.push,
      'error',
      `CUSTOM policies ${groups.map((g) => `${policiesOf(g)} (provider "${g.provider}")`).join(', ')} select one workload (namespace ${ctx.proxy.namespace}) with ${groups.length} providers; Istio allows one provider per workload: every CUSTOM rule of it denies the requests it matches`,
    );
    return groups.map((g) => badCustomFilter(g, tcp));
  }
  const out: Obj[] = [];
  for (const g of groups) {
    const resolved = extAuthzProviders(ctx.push).get(g.provider);
    if (!resolved || resolved.error !== undefined) {
      reportTranslation(ctx.push, 'error', unusable(ctx, g, resolved));
      out.push(badCustomFilter(g, tcp));
      continue;
    }
    if (tcp && !resolved.tcp) {
      reportTranslation(
        ctx.push,
        'warn',
        `CUSTOM policy ${policiesOf(g)}: provider "${g.provider}" is an HTTP authorizer (envoyExtAuthzHttp): it does not check TCP traffic (Istio skips it on TCP filter chains too); use an envoyExtAuthzGrpc provider for that`,
      );
      continue;
    }
    out.push(customShadowFilter(g, tcp), {
      name: tcp ? NETWORK_EXT_AUTHZ_FILTER : EXT_AUTHZ_FILTER,
      typed_config: tcp ? resolved.tcp : resolved.http,
    });
  }
  return out;
}

/** The CUSTOM HTTP filters of a workload's connection manager (before jwt_authn, as Istio orders them). */
export function customHttpFilters(
  ctx: BuildContext,
  custom: readonly AuthorizationPolicy[],
): Obj[] {
  return build(ctx, custom, false);
}

/** The CUSTOM network filters of a workload's TCP filter chains (before the other RBAC filters). */
export function customNetworkFilters(
  ctx: BuildContext,
  custom: readonly AuthorizationPolicy[],
): Obj[] {
  return build(ctx, custom, true);
}
