// Envoy's RBAC engine (envoy.config.rbac.v3.RBAC): a policy matches a request when
// any of its permissions (what is asked) and any of its principals (who asks)
// match. ALLOW admits only what some policy matches, DENY refuses it, LOG admits
// everything and marks what matched for the access log.
import net from 'node:net';
import type { Issues } from '../config/issues.ts';
import {
  asArray,
  asNumber,
  asObj,
  asString,
  anyTypeName,
  wrappedNumber,
  type Obj,
} from '../config/values.ts';
import { compileHeaderMatchers } from '../match/header-matcher.ts';
import { compileStringMatcher } from '../match/string-matcher.ts';
import { normalizeIp } from '../listener/filter-chain-match.ts';
import { compileMetadataMatcher } from './metadata-matcher.ts';
import {
  destination,
  directRemoteIp,
  dynamicMetadata,
  peerPrincipal,
  remoteIp,
  requestedServerName,
  type FactsContext,
} from './request-facts.ts';

export type RbacAction = 'ALLOW' | 'DENY' | 'LOG';
/** A request (HTTP filter) or a connection seen as a request without headers (network filter). */
type Predicate = (ctx: FactsContext) => boolean;

export interface RbacEngine {
  action: RbacAction;
  /** The first matching policy's name (sorted by name), or undefined. */
  match(ctx: FactsContext): string | undefined;
}

const NEVER: Predicate = () => false;

function pathOnly(ctx: FactsContext): string {
  const p = ctx.request.path;
  const q = p.search(/[?#]/);
  return q < 0 ? p : p.slice(0, q);
}

function cidr(v: unknown, issues: Issues): ((ip: string) => boolean) | undefined {
  const o = asObj(v);
  const addr = asString(o?.address_prefix);
  const family = addr ? net.isIP(addr) : 0;
  if (!o || !addr || family === 0) {
    issues.add(
      `address_prefix must be an IP address, got ${JSON.stringify(addr)}`,
      'address_prefix',
    );
    return undefined;
  }
  const len = wrappedNumber(o.prefix_len) ?? (family === 6 ? 128 : 32);
  if (len < 0 || len > (family === 6 ? 128 : 32)) {
    issues.add(`prefix_len ${len} is out of range`, 'prefix_len');
    return undefined;
  }
  const list = new net.BlockList();
  const type = family === 6 ? 'ipv6' : 'ipv4';
  list.addSubnet(addr, len, type);
  return (ip) => {
    const n = normalizeIp(ip);
    const f = net.isIP(n);
    return f !== 0 && list.check(n, f === 6 ? 'ipv6' : 'ipv4');
  };
}

function pathMatcher(v: unknown, issues: Issues): Predicate | undefined {
  const m = compileStringMatcher(asObj(v)?.path, issues, 'path');
  return m ? (ctx) => m(pathOnly(ctx)) : undefined;
}

/**
 * Envoy's URI template (extensions.path.match.uri_template): `*` or `{name}` is one
 * path segment, `**` or `{name=**}` the rest of the path; literals match exactly.
 */
export function uriTemplateRegex(template: string): RegExp | undefined {
  if (!template.startsWith('/')) return undefined;
  let out = '';
  for (const part of template.split(/(\{[^{}]*\}|\*\*|\*)/)) {
    if (part === '') continue;
    const op = part.startsWith('{')
      ? part.includes('=')
        ? part.slice(part.indexOf('=') + 1, -1)
        : '*'
      : part;
    if (op === '**') out += '.*';
    else if (op === '*') out += '[^/]+';
    else if (part.startsWith('{')) return undefined;
    else out += part.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

function headerPredicate(v: unknown, issues: Issues): Predicate | undefined {
  const [m] = compileHeaderMatchers([v], issues);
  return m ? (ctx) => m(ctx.request) : undefined;
}

function setOf(
  v: unknown,
  key: string,
  issues: Issues,
  compile: (x: unknown, i: Issues) => Predicate | undefined,
): Predicate[] | undefined {
  const list = asArray(asObj(v)?.[key]);
  if (list.length === 0) {
    issues.add(`${key} must not be empty`, key);
    return undefined;
  }
  const out = list.map((x, i) => compile(x, issues.at(`${key}[${i}]`)));
  return out.every((p) => p !== undefined) ? (out as Predicate[]) : undefined;
}

function compilePermission(v: unknown, issues: Issues): Predicate | undefined {
  const p = asObj(v);
  if (!p) {
    issues.add('expected a Permission');
    return undefined;
  }
  if (p.any === true) return () => true;
  if (p.and_rules !== undefined) {
    const all = setOf(p.and_rules, 'rules', issues.at('and_rules'), compilePermission);
    return all && ((ctx) => all.every((f) => f(ctx)));
  }
  if (p.or_rules !== undefined) {
    const any = setOf(p.or_rules, 'rules', issues.at('or_rules'), compilePermission);
    return any && ((ctx) => any.some((f) => f(ctx)));
  }
  if (p.not_rule !== undefined) {
    const inner = compilePermission(p.not_rule, issues.at('not_rule'));
    return inner && ((ctx) => !inner(ctx));
  }
  if (p.header !== undefined) return headerPredicate(p.header, issues.at('header'));
  if (p.url_path !== undefined) return pathMatcher(p.url_path, issues.at('url_path'));
  if (p.destination_ip !== undefined) {
    const c = cidr(p.destination_ip, issues.at('destination_ip'));
    return c && ((ctx) => c(destination(ctx).ip));
  }
  if (p.destination_port !== undefined) {
    const port = asNumber(p.destination_port);
    return (ctx) => destination(ctx).port === port;
  }
  if (p.destination_port_range !== undefined) {
    const r = asObj(p.destination_port_range) ?? {};
    const start = asNumber(r.start) ?? 0;
    const end = asNumber(r.end) ?? 0;
    return (ctx) => {
      const port = destination(ctx).port;
      return port >= start && port < end;
    };
  }
  if (p.metadata !== undefined) {
    const m = compileMetadataMatcher(p.metadata, issues.at('metadata'));
    return m && ((ctx) => m(dynamicMetadata(ctx)));
  }
  if (p.requested_server_name !== undefined) {
    const m = compileStringMatcher(p.requested_server_name, issues, 'requested_server_name');
    return m && ((ctx) => m(requestedServerName(ctx)));
  }
  if (p.uri_template !== undefined) {
    const cfg = asObj(asObj(p.uri_template)?.typed_config);
    const type = anyTypeName(cfg);
    if (type !== 'envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig') {
      issues.add(`uri_template ${type ?? '(no @type)'} is not supported`, 'uri_template');
      return undefined;
    }
    const re = uriTemplateRegex(asString(cfg!.path_template) ?? '');
    if (!re) {
      issues.add(
        `invalid path_template ${JSON.stringify(cfg!.path_template)}`,
        'uri_template.typed_config.path_template',
      );
      return undefined;
    }
    return (ctx) => re.test(pathOnly(ctx));
  }
  issues.add(`permission ${Object.keys(p).join(', ') || '(empty)'} is not supported`);
  return undefined;
}

function compilePrincipal(v: unknown, issues: Issues): Predicate | undefined {
  const p = asObj(v);
  if (!p) {
    issues.add('expected a Principal');
    return undefined;
  }
  if (p.any === true) return () => true;
  if (p.and_ids !== undefined) {
    const all = setOf(p.and_ids, 'ids', issues.at('and_ids'), compilePrincipal);
    return all && ((ctx) => all.every((f) => f(ctx)));
  }
  if (p.or_ids !== undefined) {
    const any = setOf(p.or_ids, 'ids', issues.at('or_ids'), compilePrincipal);
    return any && ((ctx) => any.some((f) => f(ctx)));
  }
  if (p.not_id !== undefined) {
    const inner = compilePrincipal(p.not_id, issues.at('not_id'));
    return inner && ((ctx) => !inner(ctx));
  }
  if (p.authenticated !== undefined) {
    // The peer certificate's URI SAN; no principal_name: any mTLS peer.
    const name = asObj(p.authenticated)?.principal_name;
    if (name === undefined) return (ctx) => peerPrincipal(ctx) !== '';
    const m = compileStringMatcher(name, issues, 'authenticated.principal_name');
    return (
      m &&
      ((ctx) => {
        const id = peerPrincipal(ctx);
        return id !== '' && m(id);
      })
    );
  }
  if (p.direct_remote_ip !== undefined || p.source_ip !== undefined) {
    const field = p.direct_remote_ip !== undefined ? 'direct_remote_ip' : 'source_ip';
    const c = cidr(p[field], issues.at(field));
    return c && ((ctx) => c(directRemoteIp(ctx)));
  }
  if (p.remote_ip !== undefined) {
    const c = cidr(p.remote_ip, issues.at('remote_ip'));
    return c && ((ctx) => c(remoteIp(ctx)));
  }
  if (p.header !== undefined) return headerPredicate(p.header, issues.at('header'));
  if (p.url_path !== undefined) return pathMatcher(p.url_path, issues.at('url_path'));
  if (p.metadata !== undefined) {
    const m = compileMetadataMatcher(p.metadata, issues.at('metadata'));
    return m && ((ctx) => m(dynamicMetadata(ctx)));
  }
  issues.add(`principal ${Object.keys(p).join(', ') || '(empty)'} is not supported`);
  return undefined;
}

const ACTIONS = new Set(['ALLOW', 'DENY', 'LOG']);

/** Compiles an envoy.config.rbac.v3.RBAC; a policy that does not compile never matches (and is reported). */
export function compileRbacEngine(v: unknown, issues: Issues): RbacEngine {
  const c = asObj(v) ?? {};
  const action = (asString(c.action) ?? 'ALLOW') as RbacAction;
  if (!ACTIONS.has(action)) issues.add(`action ${action} is not supported`, 'action');
  const policies: [string, Predicate][] = [];
  const raw = asObj(c.policies) ?? {};
  for (const name of Object.keys(raw).sort()) {
    const iss = issues.at(`policies["${name}"]`);
    const pol = asObj(raw[name]) as Obj | undefined;
    if (!pol) {
      iss.add('expected a Policy');
      continue;
    }
    if (pol.condition !== undefined || pol.checked_condition !== undefined) {
      iss.add(
        'CEL conditions are not supported',
        pol.condition !== undefined ? 'condition' : 'checked_condition',
      );
      policies.push([name, NEVER]);
      continue;
    }
    const perms = setOf(pol, 'permissions', iss, compilePermission);
    const princ = setOf(pol, 'principals', iss, compilePrincipal);
    if (!perms || !princ) {
      policies.push([name, NEVER]);
      continue;
    }
    policies.push([name, (ctx) => perms.some((f) => f(ctx)) && princ.some((f) => f(ctx))]);
  }
  return {
    action,
    match(ctx) {
      for (const [name, pred] of policies) if (pred(ctx)) return name;
      return undefined;
    },
  };
}
