// One AuthorizationPolicy rule → one Envoy RBAC Policy, as Istio's authz model
// builds it (security/authz/model): every `from` is one principal and every `to`
// one permission (a policy matches when any principal and any permission do); inside
// each, the fields and `when` conditions are ANDed, and the values of a field ORed.
// Field order follows Istio's, so the output reads like istiod's.
import type {
  AuthorizationCondition,
  AuthorizationOperation,
  AuthorizationRule,
  AuthorizationSource,
} from '../../../api/istio/security/authorization-policy.ts';
import { JWT_AUTHN_FILTER, JWT_PAYLOAD_KEY } from './names.ts';
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

const anyPrincipal = (): Obj => ({ any: true });
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

function jwtClaim(path: string[], value: Obj): Obj {
  return {
    metadata: {
      filter: JWT_AUTHN_FILTER,
      path: [JWT_PAYLOAD_KEY, ...path].map((key) => ({ key })),
      value,
    },
  };
}

/**
 * A claim may be a string or a list of strings (aud, groups, scope once split): the
 * condition holds when the string, or any element of the list, matches one value.
 */
function claimMatcher(path: string[], values: string[]): Obj {
  const one =
    values.length === 1
      ? { string_match: stringMatcher(values[0]!) }
      : { or_match: { value_matchers: values.map((v) => ({ string_match: stringMatcher(v) })) } };
  return jwtClaim(path, { or_match: { value_matchers: [one, { list_match: { one_of: one } }] } });
}

/**
 * `iss/sub` values of requestPrincipals: split at the last `/` (issuers are often
 * URLs), each half matched in the JWT payload, with Istio's wildcard cases.
 */
function requestPrincipals(values: string[]): Obj {
  const any = { safe_regex: { regex: '.+' } };
  const ids = values.map((value) => {
    const idx = value.lastIndexOf('/');
    const found = idx >= 0;
    const iss = found ? value.slice(0, idx) : value;
    const sub = found ? value.slice(idx + 1) : '';
    let mIss: Obj;
    let mSub: Obj;
    if (value === '*') [mIss, mSub] = [any, any];
    else if (value.startsWith('*')) {
      if (found) [mIss, mSub] = [iss === '*' ? any : { suffix: iss.slice(1) }, { exact: sub }];
      else [mIss, mSub] = [any, { suffix: value.slice(1) }];
    } else if (value.endsWith('*')) {
      if (found) [mIss, mSub] = [{ exact: iss }, sub === '*' ? any : { prefix: sub.slice(0, -1) }];
      else [mIss, mSub] = [{ prefix: value.slice(0, -1) }, any];
    } else [mIss, mSub] = [{ exact: iss }, { exact: sub }];
    return andIds([
      jwtClaim(['iss'], { string_match: mIss }),
      jwtClaim(['sub'], { string_match: mSub }),
    ]);
  });
  return ids.length === 1 ? ids[0]! : orIds(ids);
}

/** `[a][b]` → ['a', 'b'] (claims nest; headers have one name). */
function bracketNames(key: string, prefix: string): string[] {
  return [...key.slice(prefix.length).matchAll(/\[([^\[\]]+)\]/g)].map((m) => m[1]!);
}

interface Term<T> {
  values: string[] | undefined;
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
    { values: s.requestPrincipals, notValues: s.notRequestPrincipals, all: requestPrincipals },
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
    { values: o.hosts, notValues: o.notHosts, one: (v) => ({ header: hostMatcher(v) }) },
    {
      values: o.methods,
      notValues: o.notMethods,
      one: (v) => ({ header: headerValueMatcher(':method', v) }),
    },
    { values: o.paths, notValues: o.notPaths, one: pathPermission },
    { values: o.ports, notValues: o.notPorts, one: (v) => ({ destination_port: Number(v) }) },
  ];
}

/** A `when` condition on the principal side (who is calling), or undefined when it is about the destination. */
function principalCondition(
  c: AuthorizationCondition,
  policyNamespace: string,
): Term<Obj> | undefined {
  const base = { values: c.values, notValues: c.notValues };
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
      return { ...base, all: requestPrincipals };
    case 'request.auth.audiences':
      return { ...base, all: (vs) => claimMatcher(['aud'], vs) };
    case 'request.auth.presenter':
      return { ...base, all: (vs) => claimMatcher(['azp'], vs) };
  }
  if (k.startsWith('request.headers[')) {
    const [name] = bracketNames(k, 'request.headers');
    return { ...base, one: (v) => ({ header: requestHeaderMatcher(name!, v) }) };
  }
  if (k.startsWith('request.auth.claims['))
    return { ...base, all: (vs) => claimMatcher(bracketNames(k, 'request.auth.claims'), vs) };
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

/** The RBAC Policy of one rule of a policy in `policyNamespace`. */
export function rbacPolicy(rule: AuthorizationRule, policyNamespace: string): Obj {
  const when = rule.when ?? [];
  const whenPrincipals = when
    .map((c) => principalCondition(c, policyNamespace))
    .filter((t) => t !== undefined);
  const whenPermissions = when.map(permissionCondition).filter((t) => t !== undefined);

  const principal = (source: AuthorizationSource | undefined): Obj => {
    const terms = [...(source ? sourceTerms(source, policyNamespace) : []), ...whenPrincipals];
    const ids = terms.flatMap((t) => expand(t, orIds, notId));
    return andIds(ids.length > 0 ? ids : [anyPrincipal()]);
  };
  const permission = (operation: AuthorizationOperation | undefined): Obj => {
    const terms = [...(operation ? operationTerms(operation) : []), ...whenPermissions];
    const rules = terms.flatMap((t) => expand(t, orRules, notRule));
    return andRules(rules.length > 0 ? rules : [{ any: true }]);
  };
  const froms = rule.from?.length ? rule.from.map((f) => f.source) : [undefined];
  const tos = rule.to?.length ? rule.to.map((t) => t.operation) : [undefined];
  return { permissions: tos.map(permission), principals: froms.map(principal) };
}
