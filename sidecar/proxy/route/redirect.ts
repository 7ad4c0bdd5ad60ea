// RedirectAction: builds the Location of a redirect response the way Envoy's
// RouteEntryImplBase::newUri does (scheme, host, port, path and query rules).
import type { Issues } from '../config/issues.ts';
import { asNumber, asObj, asString, type Obj } from '../config/values.ts';
import { compileSearchRegex, translateSubstitution } from '../match/regex.ts';
import type { RequestView } from './types.ts';

export interface Redirect {
  status: number;
  scheme: string | undefined;
  host: string | undefined;
  port: number | undefined;
  path: string | undefined;
  prefixRewrite: string | undefined;
  regexRewrite: { pattern: RegExp; substitution: string } | undefined;
  stripQuery: boolean;
}

const CODES: Record<string, number> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

export function compileRedirect(r: Obj, issues: Issues): Redirect {
  const codeName = asString(r.response_code) ?? 'MOVED_PERMANENTLY';
  const status = CODES[codeName];
  if (status === undefined) issues.add(`unknown response_code ${codeName}`, 'response_code');
  const rw = asObj(r.regex_rewrite);
  let regexRewrite: Redirect['regexRewrite'];
  if (rw) {
    const pattern = compileSearchRegex(rw.pattern, issues, 'regex_rewrite.pattern');
    if (pattern)
      regexRewrite = {
        pattern,
        substitution: translateSubstitution(asString(rw.substitution) ?? ''),
      };
  }
  const port = asNumber(r.port_redirect);
  return {
    status: status ?? 301,
    scheme:
      r.https_redirect === true ? 'https' : asString(r.scheme_redirect)?.toLowerCase() || undefined,
    host: asString(r.host_redirect) || undefined,
    port: port === undefined || port === 0 ? undefined : port,
    path: asString(r.path_redirect) || undefined,
    prefixRewrite: asString(r.prefix_rewrite),
    regexRewrite,
    stripQuery: r.strip_query === true,
  };
}

/** The Location header value. `rewriteBase` is the route's matched prefix (for prefix_rewrite). */
export function redirectLocation(
  rd: Redirect,
  req: RequestView,
  rewriteBase: string | undefined,
): string {
  const scheme = rd.scheme ?? req.scheme;
  let host = rd.host ?? req.authority;
  const hostOnly = stripPort(host);
  if (rd.port !== undefined) {
    host = `${hostOnly}:${rd.port}`;
  } else if (rd.scheme !== undefined && rd.host === undefined) {
    const port = host.slice(hostOnly.length + 1);
    if (port === '80' || port === '443') host = hostOnly;
  }
  const q = req.path.indexOf('?');
  let path = q >= 0 ? req.path.slice(0, q) : req.path;
  let query = q >= 0 ? req.path.slice(q) : '';
  if (rd.path !== undefined) {
    const pq = rd.path.indexOf('?');
    if (pq >= 0) {
      path = rd.path.slice(0, pq);
      query = rd.path.slice(pq);
    } else {
      path = rd.path;
    }
  } else if (
    rd.prefixRewrite !== undefined &&
    rewriteBase !== undefined &&
    path.startsWith(rewriteBase)
  ) {
    path = rd.prefixRewrite + path.slice(rewriteBase.length);
  } else if (rd.regexRewrite) {
    rd.regexRewrite.pattern.lastIndex = 0;
    path = path.replace(rd.regexRewrite.pattern, rd.regexRewrite.substitution);
  }
  if (rd.stripQuery) query = '';
  return `${scheme}://${host}${path}${query}`;
}

/** "host:port" → "host"; "[v6]:port" → "[v6]"; a bare IPv6 address is left alone. */
export function stripPort(authority: string): string {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    return end >= 0 ? authority.slice(0, end + 1) : authority;
  }
  const colon = authority.lastIndexOf(':');
  if (colon < 0 || authority.indexOf(':') !== colon) return authority;
  return authority.slice(0, colon);
}
