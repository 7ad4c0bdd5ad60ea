// One AuthorizationPolicy rule → one Envoy RBAC Policy, as Istio's authz model
// builds it (security/authz/model): every `from` is one principal and every `to`
// one permission (a policy matches when any principal and any permission do); inside
// each, the fields and `when` conditions are ANDed, and the values of a field ORed.
// Field order follows Istio's, so the output reads like istiod's.
//
// On TCP filter chains (network RBAC) the HTTP-only fields (hosts, methods, paths,
// request principals, request.headers and request.auth.* conditions) cannot be
// evaluated. As Istio's authz model does (Generate with forTCP): an ALLOW rule that
// uses any of them is dropped, so it allows less; a DENY or AUDIT rule keeps its
// other fields and loses those, so it denies (or logs) more.
import type {
  AuthorizationCondition,
  AuthorizationOperation,
  AuthorizationRule,
  AuthorizationSource,
} from '../../../api/istio/security/authorization-policy.ts';
import { claimMatcher, requestPrincipals } from './jwt-claims.ts';
import {
  cidrRange,
  headerValueMatcher,
  hostMatcher,
  namespaceMatcher,
  pathPermission,
  requestHeaderMatcher,
  serviceAccountMatcher,
  stringMatcher,
} from './matchers.ts';

type Obj = Record<string, unknown>;

const orIds = (ids: Obj[]): Obj => ({ or_ids: { ids } });
const andIds = (ids: Obj[]): Obj => ({ and_ids: { ids } });
const notId = (id: Obj): Obj => ({ not_id: id });
const orRules = (rules: Obj[]): Obj => ({ or_rules: { rules } });
const andRules = (rules: Obj[]): Obj => ({ and_rules: { rules } });
const notRule = (rule: Obj): Obj => ({ not_rule: rule });
const authenticated = (principal_name: Obj): Obj => ({ authenticated: { principal_name } });

/** A policy that can never match: an ALLOW or DENY policy without rules. */
export const MATCH_NEVER: Obj = {
  permissions: [notRule({ any: true })],
  principals: [notId({ any: true })],
};

/** `[a][b]` → ['a', 'b'] (claims nest; headers have one name). */
function bracketNames(key: string, prefix: string): string[] {
  return [...key.slice(prefix.length).matchAll(/\[([^\[\]]+)\]/g)].map((m) => m[1]!);
}

interface Term<T> {
  values: string[] | undefined;
  /** Only meaningful for HTTP requests (Istio's "is HTTP only" attributes). */
  httpOnly?: true;
  notValues: string[] | undefined;
  /** One value → one matcher, ORed over values. */
  one?: (value: string) => T;
  /** All values → one matcher (JWT attributes, which Istio builds as one set). */
  all?: (values: string[]) => T;
}

function expand(term: Term<Obj>, or: (list: Obj[]) => Obj, not: (x: Obj) => Obj): Obj[] {
  const build = (values: string[]): Obj =>
    term.all ? term.all(values) : or(values.map(term.one!));
  const out: Obj[] = [];
  if (term.values?.length) out.push(build(term.values));
  if (term.notValues?.length) out.push(not(build(term.notValues)));
  return out;
}

function sourceTerms(s: AuthorizationSource, policyNamespace: string): Term<Obj>[] {
  return [
    {
      values: s.principals,
      notValues: s.notPrincipals,
      one: (v) => authenticated(stringMatcher(v, 'spiffe://')),
    },
    {
      values: s.requestPrincipals,
      notValues: s.notRequestPrincipals,
      all: requestPrincipals,
      httpOnly: true,
    },
    {
      values: s.serviceAccounts,
      notValues: s.notServiceAccounts,
      one: (v) => authenticated(serviceAccountMatcher(policyNamespace, v)),
    },
    {
      values: s.namespaces,
      notValues: s.notNamespaces,
      one: (v) => authenticated(namespaceMatcher(v)),
    },
    {
      values: s.remoteIpBlocks,
      notValues: s.notRemoteIpBlocks,
      one: (v) => ({ remote_ip: cidrRange(v) }),
    },
    {
      values: s.ipBlocks,
      notValues: s.notIpBlocks,
      one: (v) => ({ direct_remote_ip: cidrRange(v) }),
    },
  ];
}

function operationTerms(o: AuthorizationOperation): Term<Obj>[] {
  return [
    {
      values: o.hosts,
      notValues: o.notHosts,
      one: (v) => ({ header: hostMatcher(v) }),
      httpOnly: true,
    },
    {
      values: o.methods,
      notValues: o.notMethods,
      one: (v) => ({ header: headerValueMatcher(':method', v) }),
      httpOnly: true,
    },
    { values: o.paths, notValues: o.notPaths, one: pathPermission, httpOnly: true },
    { values: o.ports, notValues: o.notPorts, one: (v) => ({ destination_port: Number(v) }) },
  ];
}

/** A `when` condition on the principal side (who is calling), or undefined when it is about the destination. */
function principalCondition(
  c: AuthorizationCondition,
  policyNamespace: string,
): Term<Obj> | undefined {
  const base = { values: c.values, notValues: c.notValues };
  const http = { ...base, httpOnly: true as const };
  const k = c.key;
  switch (k) {
    case 'source.ip':
      return { ...base, one: (v) => ({ direct_remote_ip: cidrRange(v) }) };
    case 'remote.ip':
      return { ...base, one: (v) => ({ remote_ip: cidrRange(v) }) };
    case 'source.namespace':
      return { ...base, one: (v) => authenticated(namespaceMatcher(v)) };
    case 'source.serviceAccount':
      return { ...base, one: (v) => authenticated(serviceAccountMatcher(policyNamespace, v)) };
    case 'source.principal':
      return { ...base, one: (v) => authenticated(stringMatcher(v, 'spiffe://')) };
    case 'request.auth.principal':
      return { ...http, all: requestPrincipals };
    case 'request.auth.audiences':
      return { ...http, all: (vs) => claimMatcher(['aud'], vs) };
    case 'request.auth.presenter':
      return { ...http, all: (vs) => claimMatcher(['azp'], vs) };
  }
  if (k.startsWith('request.headers[')) {
    const [name] = bracketNames(k, 'request.headers');
    return { ...http, one: (v) => ({ header: requestHeaderMatcher(name!, v) }) };
  }
  if (k.startsWith('request.auth.claims['))
    return { ...http, all: (vs) => claimMatcher(bracketNames(k, 'request.auth.claims'), vs) };
  return undefined;
}

function permissionCondition(c: AuthorizationCondition): Term<Obj> | undefined {
  const base = { values: c.values, notValues: c.notValues };
  switch (c.key) {
    case 'destination.ip':
      return { ...base, one: (v) => ({ destination_ip: cidrRange(v) }) };
    case 'destination.port':
      return { ...base, one: (v) => ({ destination_port: Number(v) }) };
    case 'connection.sni':
      return { ...base, one: (v) => ({ requested_server_name: stringMatcher(v) }) };
  }
  if (c.key.startsWith('experimental.envoy.filters.')) {
    // `experimental.envoy.filters.a.b[c]`: dynamic metadata of filter a.b at key c.
    const open = c.key.indexOf('[');
    const filter = c.key.slice('experimental.'.length, open);
    const key = c.key.slice(open + 1, -1);
    return {
      ...base,
      all: (vs) => ({
        metadata: {
          filter,
          path: [{ key }],
          value:
            vs.length === 1
              ? listOrString(vs[0]!)
              : { or_match: { value_matchers: vs.map(listOrString) } },
        },
      }),
    };
  }
  return undefined;
}

/** Istio's experimental metadata values: `[v]` matches an element of a list, `v` a string. */
function listOrString(v: string): Obj {
  return v.startsWith('[') && v.endsWith(']')
    ? { list_match: { one_of: { string_match: stringMatcher(v.slice(1, -1)) } } }
    : { string_match: stringMatcher(v) };
}

/** Network RBAC: the action of the policy whose rule is built for a TCP filter chain. */
export type TcpAction = 'ALLOW' | 'DENY' | 'LOG';

const used = (t: Term<Obj>): boolean => !!(t.values?.length || t.notValues?.length);

/**
 * The RBAC Policy of one rule of a policy in `policyNamespace`. With `tcp` (the
 * policy's action) it is built for a TCP filter chain: undefined when an ALLOW
 * rule uses HTTP-only fields (the rule is skipped), HTTP-only fields left out of
 * DENY and AUDIT rules.
 */
export function rbacPolicy(
  rule: AuthorizationRule,
  policyNamespace: string,
  tcp?: TcpAction,
): Obj | undefined {
  const when = rule.when ?? [];
  const whenPrincipals = when
    .map((c) => principalCondition(c, policyNamespace))
    .filter((t) => t !== undefined);
  const whenPermissions = when.map(permissionCondition).filter((t) => t !== undefined);

  const froms = rule.from?.length ? rule.from.map((f) => f.source) : [undefined];
  const tos = rule.to?.length ? rule.to.map((t) => t.operation) : [undefined];
  const principalTerms = froms.map((s) => [
    ...(s ? sourceTerms(s, policyNamespace) : []),
    ...whenPrincipals,
  ]);
  const permissionTerms = tos.map((o) => [...(o ? operationTerms(o) : []), ...whenPermissions]);
  const forTcp = (terms: Term<Obj>[]): Term<Obj>[] | undefined =>
    tcp === undefined || !terms.some((t) => t.httpOnly && used(t))
      ? terms
      : tcp === 'ALLOW'
        ? undefined
        : terms.filter((t) => !t.httpOnly);
  const build = (
    lists: Term<Obj>[][],
    or: (l: Obj[]) => Obj,
    not: (x: Obj) => Obj,
    and: (l: Obj[]) => Obj,
  ): Obj[] | undefined => {
    const out: Obj[] = [];
    for (const list of lists) {
      const terms = forTcp(list);
      if (!terms) return undefined;
      const parts = terms.flatMap((t) => expand(t, or, not));
      out.push(and(parts.length > 0 ? parts : [{ any: true }]));
    }
    return out;
  };
  const permissions = build(permissionTerms, orRules, notRule, andRules);
  const principals = build(principalTerms, orIds, notId, andIds);
  return permissions && principals ? { permissions, principals } : undefined;
}
