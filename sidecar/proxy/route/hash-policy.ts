// RouteAction.hash_policy: computes the request hash that RING_HASH and MAGLEV use.
// Policies are evaluated in order and combined; a `terminal` policy that produced a
// hash stops the evaluation.
import type { Issues } from '../config/issues.ts';
import { asArray, asObj, asString, durationMs } from '../config/values.ts';
import { compileSearchRegex, translateSubstitution } from '../match/regex.ts';
import { combineHash, hash32 } from '../upstream/lb/hash.ts';
import type { RequestView } from './types.ts';

export interface HashPolicy {
  terminal: boolean;
  compute(req: RequestView): string | undefined;
  /** Cookie policies with a ttl generate the cookie when it is missing. */
  cookie: { name: string; ttlS: number; path: string | undefined } | undefined;
}

export function compileHashPolicies(v: unknown, issues: Issues): HashPolicy[] {
  const out: HashPolicy[] = [];
  asArray(v).forEach((raw, i) => {
    const iss = issues.at(i);
    const p = asObj(raw);
    if (!p) return iss.add('expected a HashPolicy');
    const terminal = p.terminal === true;
    const header = asObj(p.header);
    const cookie = asObj(p.cookie);
    const conn = asObj(p.connection_properties);
    const query = asObj(p.query_parameter);
    if (header) {
      const name = asString(header.header_name)?.toLowerCase();
      if (!name) return iss.add('header_name is required', 'header.header_name');
      const rw = asObj(header.regex_rewrite);
      const re = rw
        ? compileSearchRegex(rw.pattern, iss, 'header.regex_rewrite.pattern')
        : undefined;
      const sub = rw ? translateSubstitution(asString(rw.substitution) ?? '') : '';
      out.push({
        terminal,
        cookie: undefined,
        compute: (r) => {
          const value = r.header(name);
          return value === undefined || !re ? value : value.replace(re, sub);
        },
      });
    } else if (cookie) {
      const name = asString(cookie.name);
      if (!name) return iss.add('name is required', 'cookie.name');
      const ttl = durationMs(cookie.ttl, iss, 'cookie.ttl');
      out.push({
        terminal,
        cookie:
          ttl === undefined
            ? undefined
            : { name, ttlS: Math.round(ttl / 1000), path: asString(cookie.path) },
        compute: (r) => readCookie(r.header('cookie'), name),
      });
    } else if (conn) {
      if (conn.source_ip !== true)
        return iss.add('connection_properties needs source_ip: true', 'connection_properties');
      out.push({ terminal, cookie: undefined, compute: (r) => r.remoteAddress });
    } else if (query) {
      const name = asString(query.name);
      if (!name) return iss.add('name is required', 'query_parameter.name');
      out.push({ terminal, cookie: undefined, compute: (r) => r.queryParam(name) ?? undefined });
    } else if (p.filter_state !== undefined) {
      iss.add('filter_state hash policies are not supported', 'filter_state');
    } else {
      iss.add('hash policy needs header, cookie, connection_properties or query_parameter');
    }
  });
  return out;
}

/**
 * The request hash, or undefined when no policy produced one. `missingCookie`
 * receives a cookie policy whose cookie should be generated and set on the response.
 */
export function requestHash(
  policies: readonly HashPolicy[],
  req: RequestView,
  missingCookie?: (p: HashPolicy, value: string) => void,
): number | undefined {
  let acc: number | undefined;
  for (const p of policies) {
    let v = p.compute(req);
    if (v === undefined && p.cookie && missingCookie) {
      // Envoy derives the generated cookie from the downstream address so a client keeps its host.
      v = hash32(`${req.remoteAddress}:${req.remotePort}`).toString(16);
      missingCookie(p, v);
    }
    if (v === undefined) continue;
    const h = hash32(v);
    acc = acc === undefined ? h : combineHash(acc, h);
    if (p.terminal) break;
  }
  return acc;
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let i = 0;
  while (i < header.length) {
    let end = header.indexOf(';', i);
    if (end < 0) end = header.length;
    const eq = header.indexOf('=', i);
    if (eq > 0 && eq < end && header.slice(i, eq).trim() === name)
      return header.slice(eq + 1, end).trim();
    i = end + 1;
  }
  return undefined;
}
