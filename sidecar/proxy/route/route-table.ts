// RouteConfiguration → RouteTable: virtual hosts indexed by domain, routes in
// order, header mutations and per-filter config merged per route at compile time.
// Domain lookup follows Envoy: exact, then the longest `*suffix`, then the longest
// `prefix*`, then `*`. A wildcard never matches the empty string.
import { Issues } from '../config/issues.ts';
import { asArray, asObj, asString, isObj, type Obj } from '../config/values.ts';
import { compileCorsPolicy } from '../filters/cors.ts';
import { compilePerFilterConfig } from '../filters/registry.ts';
import { compileHeaderMutation, type HeaderMutation } from './header-mutation.ts';
import { compileAction, compileMirrors, type ActionDefaults } from './route-action.ts';
import { compileRouteMatch } from './route-match.ts';
import { stripPort } from './redirect.ts';
import { compileRetryPolicy } from './retry-policy.ts';
import type { CompiledRoute, CompiledVirtualHost, RequestView } from './types.ts';

export const CORS_FILTER = 'envoy.filters.http.cors';

export class RouteTable {
  readonly name: string;
  readonly ignorePort: boolean;
  private readonly exact = new Map<string, CompiledVirtualHost>();
  private readonly suffixes: { s: string; vh: CompiledVirtualHost }[] = [];
  private readonly prefixes: { p: string; vh: CompiledVirtualHost }[] = [];
  private star: CompiledVirtualHost | undefined;
  readonly internalOnlyHeaders: string[];

  constructor(name: string, ignorePort: boolean, internalOnlyHeaders: string[]) {
    this.name = name;
    this.ignorePort = ignorePort;
    this.internalOnlyHeaders = internalOnlyHeaders;
  }

  addDomain(domain: string, vh: CompiledVirtualHost, issues: Issues): void {
    const d = domain.toLowerCase();
    const taken = (): boolean => {
      issues.add(`domain "${domain}" is already used by another virtual host`);
      return true;
    };
    if (d === '*') {
      if (this.star) taken();
      else this.star = vh;
    } else if (d.startsWith('*')) {
      if (this.suffixes.some((x) => x.s === d.slice(1))) taken();
      else this.suffixes.push({ s: d.slice(1), vh });
    } else if (d.endsWith('*')) {
      if (this.prefixes.some((x) => x.p === d.slice(0, -1))) taken();
      else this.prefixes.push({ p: d.slice(0, -1), vh });
    } else if (this.exact.has(d)) {
      taken();
    } else {
      this.exact.set(d, vh);
    }
  }

  finish(): void {
    this.suffixes.sort((a, b) => b.s.length - a.s.length);
    this.prefixes.sort((a, b) => b.p.length - a.p.length);
  }

  virtualHost(authority: string): CompiledVirtualHost | undefined {
    let host = authority.toLowerCase();
    if (this.ignorePort) host = stripPort(host);
    const e = this.exact.get(host);
    if (e) return e;
    for (const x of this.suffixes) if (host.length > x.s.length && host.endsWith(x.s)) return x.vh;
    for (const x of this.prefixes)
      if (host.length > x.p.length && host.startsWith(x.p)) return x.vh;
    return this.star;
  }

  /** The first matching route of the virtual host for the request's authority. */
  route(req: RequestView): CompiledRoute | undefined {
    const vh = this.virtualHost(req.authority);
    if (!vh) return undefined;
    const q = req.path.indexOf('?');
    const pathNoQuery = q >= 0 ? req.path.slice(0, q) : req.path;
    const routes = vh.routes;
    for (let i = 0; i < routes.length; i++)
      if (routes[i]!.matches(req, pathNoQuery)) return routes[i];
    return undefined;
  }
}

/** Compiles a RouteConfiguration (RDS resource or HCM inline route_config). */
export function compileRouteTable(name: string, rc: Obj, issues: Issues): RouteTable {
  for (const f of ['vhds', 'cluster_specifier_plugins', 'typed_per_filter_config']) {
    if (rc[f] !== undefined && !(Array.isArray(rc[f]) && (rc[f] as unknown[]).length === 0))
      issues.add(`${f} is not supported`, f);
  }
  const table = new RouteTable(
    name,
    rc.ignore_port_in_host_matching === true,
    asArray(rc.internal_only_headers).map((h) => String(h).toLowerCase()),
  );
  const global = compileHeaderMutation(
    rc.request_headers_to_add,
    rc.request_headers_to_remove,
    issues,
    'request_headers_to_add',
    'request_headers_to_remove',
  );
  const globalResp = compileHeaderMutation(
    rc.response_headers_to_add,
    rc.response_headers_to_remove,
    issues,
    'response_headers_to_add',
    'response_headers_to_remove',
  );
  const mostSpecificWins = rc.most_specific_header_mutations_wins === true;
  const globalMirrors = compileMirrors(
    rc.request_mirror_policies,
    issues.at('request_mirror_policies'),
  );
  const seenNames = new Set<string>();
  asArray(rc.virtual_hosts).forEach((raw, i) => {
    const iss = issues.at('virtual_hosts').at(i);
    const v = asObj(raw);
    const vname = asString(v?.name);
    if (!v || !vname) return iss.add('name is required', 'name');
    if (seenNames.has(vname)) iss.add(`virtual host name "${vname}" is not unique`, 'name');
    seenNames.add(vname);
    for (const f of [
      'rate_limits',
      'hedge_policy',
      'retry_policy_typed_config',
      'matcher',
      'virtual_clusters_typed',
    ]) {
      if (v[f] !== undefined && !(Array.isArray(v[f]) && (v[f] as unknown[]).length === 0))
        iss.add(`${f} is not supported`, f);
    }
    const vh: CompiledVirtualHost = { name: vname, routes: [] };
    const domains = asArray(v.domains).map(String);
    if (domains.length === 0) iss.add('at least one domain is required', 'domains');
    for (const d of domains) table.addDomain(d, vh, iss.at('domains'));
    const vreq = compileHeaderMutation(
      v.request_headers_to_add,
      v.request_headers_to_remove,
      iss,
      'request_headers_to_add',
      'request_headers_to_remove',
    );
    const vresp = compileHeaderMutation(
      v.response_headers_to_add,
      v.response_headers_to_remove,
      iss,
      'response_headers_to_add',
      'response_headers_to_remove',
    );
    const vPerFilter = compilePerFilterConfig(
      v.typed_per_filter_config,
      iss.at('typed_per_filter_config'),
    );
    if (isObj(v.cors) && !vPerFilter.has(CORS_FILTER))
      vPerFilter.set(CORS_FILTER, compileCorsPolicy(v.cors, iss.at('cors')));
    const defaults: ActionDefaults = {
      retry:
        v.retry_policy !== undefined
          ? compileRetryPolicy(v.retry_policy, iss.at('retry_policy'))
          : null,
      mirrors:
        v.request_mirror_policies !== undefined
          ? compileMirrors(v.request_mirror_policies, iss.at('request_mirror_policies'))
          : globalMirrors,
    };
    const requireTls = asString(v.require_tls) ?? 'NONE';
    asArray(v.routes).forEach((rr, j) => {
      const ri = iss.at('routes').at(j);
      const r = asObj(rr);
      if (!r) return ri.add('expected a Route');
      const match = compileRouteMatch(asObj(r.match) ?? {}, ri.at('match'));
      let action = compileAction(r, defaults, ri);
      if (requireTls === 'ALL') {
        // Every downstream here is plaintext, so Envoy would redirect each request to https.
        action = {
          kind: 'redirect',
          redirect: {
            status: 301,
            scheme: 'https',
            host: undefined,
            port: undefined,
            path: undefined,
            prefixRewrite: undefined,
            regexRewrite: undefined,
            stripQuery: false,
          },
        };
      }
      if (!match || !action) return;
      const rreq = compileHeaderMutation(
        r.request_headers_to_add,
        r.request_headers_to_remove,
        ri,
        'request_headers_to_add',
        'request_headers_to_remove',
      );
      const rresp = compileHeaderMutation(
        r.response_headers_to_add,
        r.response_headers_to_remove,
        ri,
        'response_headers_to_add',
        'response_headers_to_remove',
      );
      const perFilter = new Map(vPerFilter);
      for (const [k, val] of compilePerFilterConfig(
        r.typed_per_filter_config,
        ri.at('typed_per_filter_config'),
      ))
        perFilter.set(k, val);
      const ra = asObj(r.route);
      if (ra && isObj(ra.cors) && !perFilter.has(CORS_FILTER))
        perFilter.set(CORS_FILTER, compileCorsPolicy(ra.cors, ri.at('route').at('cors')));
      const order = (
        a: HeaderMutation | null,
        b: HeaderMutation | null,
        c: HeaderMutation | null,
      ): HeaderMutation[] =>
        (mostSpecificWins ? [c, b, a] : [a, b, c]).filter((x): x is HeaderMutation => x !== null);
      vh.routes.push({
        name: asString(r.name) ?? '',
        rewriteBase: match.rewriteBase,
        matches: match.matches,
        action,
        virtualHost: vh,
        requestMutations: order(rreq, vreq, global),
        responseMutations: order(rresp, vresp, globalResp),
        perFilter,
        includeAttemptCount: v.include_request_attempt_count === true,
        includeAttemptCountInResponse: v.include_attempt_count_in_response === true,
        operation: asString(asObj(r.decorator)?.operation),
      });
    });
  });
  table.finish();
  return table;
}

export function compileRouteConfiguration(
  name: string,
  rc: Obj,
): { table: RouteTable; errors: string[] } {
  const issues = new Issues();
  const declared = asString(rc.name);
  if (declared !== undefined && declared !== name)
    issues.add(`name "${declared}" does not match the resource name`, 'name');
  const table = compileRouteTable(name, rc, issues);
  return { table, errors: issues.lines };
}
