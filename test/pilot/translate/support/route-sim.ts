// A small Envoy route matcher over generated RouteConfigurations (Istio's
// pilot/pkg/simulation idea): which virtual host and route a request takes, and
// where it goes. Envoy's rules: virtual host by exact domain, then the longest
// suffix wildcard (*.x), then the longest prefix wildcard (x*), then "*"; the first
// route whose path, headers and query parameters all match.
import type { EnvoyResource } from '../../../../pilot/translate/types.ts';

export interface Request {
  host: string;
  path: string;
  method?: string;
  scheme?: string;
  headers?: Record<string, string>;
}

export interface Outcome {
  virtualHost: string;
  route: string;
  cluster?: string;
  weighted?: { name: string; weight: number }[];
  redirect?: Record<string, unknown>;
  directResponse?: { status: number };
}

type Obj = Record<string, unknown>;

function domainScore(domain: string, host: string): number {
  const d = domain.toLowerCase();
  const h = host.toLowerCase();
  if (d === h) return 4e6;
  if (d === '*') return 1;
  if (d.startsWith('*') && h.endsWith(d.slice(1)) && h.length > d.length - 1) return 3e6 + d.length;
  if (d.endsWith('*') && h.startsWith(d.slice(0, -1)) && h.length > d.length - 1)
    return 2e6 + d.length;
  return 0;
}

export function selectVirtualHost(config: EnvoyResource, host: string): Obj | undefined {
  let best: { vh: Obj; score: number } | undefined;
  for (const vh of (config.virtual_hosts as Obj[]) ?? []) {
    for (const d of vh.domains as string[]) {
      const score = domainScore(d, host);
      if (score > 0 && (!best || score > best.score)) best = { vh, score };
    }
  }
  return best?.vh;
}

function fullMatch(regex: string, value: string, ignoreCase = false): boolean {
  return new RegExp(`^(?:${regex})$`, ignoreCase ? 'i' : '').test(value);
}

/** Envoy StringMatcher semantics (exact, prefix, suffix, contains, safe_regex as a full match). */
export function stringMatches(m: Obj, value: string): boolean {
  const ic = m.ignore_case === true;
  const v = ic ? value.toLowerCase() : value;
  const norm = (s: unknown) => (ic ? String(s).toLowerCase() : String(s));
  if (m.exact !== undefined) return v === norm(m.exact);
  if (m.prefix !== undefined) return v.startsWith(norm(m.prefix));
  if (m.suffix !== undefined) return v.endsWith(norm(m.suffix));
  if (m.contains !== undefined) return v.includes(norm(m.contains));
  if (m.safe_regex !== undefined) return fullMatch(String((m.safe_regex as Obj).regex), value);
  throw new Error(`route-sim: unsupported string matcher ${JSON.stringify(m)}`);
}

function headerValue(req: Request, name: string): string | undefined {
  if (name === ':method') return req.method ?? 'GET';
  if (name === ':authority') return req.host;
  if (name === ':scheme') return req.scheme ?? 'http';
  if (name === ':path') return req.path;
  const entry = Object.entries(req.headers ?? {}).find(
    ([k]) => k.toLowerCase() === name.toLowerCase(),
  );
  return entry?.[1];
}

function headerMatches(h: Obj, req: Request): boolean {
  let value = headerValue(req, String(h.name));
  if (value === undefined && h.treat_missing_header_as_empty === true) value = '';
  let ok: boolean;
  if (h.present_match !== undefined) ok = value !== undefined;
  else if (value === undefined) ok = false;
  else ok = stringMatches(h.string_match as Obj, value);
  return h.invert_match === true ? !ok : ok;
}

function pathMatches(m: Obj, path: string): boolean {
  const caseSensitive = (m.case_sensitive as { value?: boolean } | undefined)?.value !== false;
  const bare = path.split('?')[0]!;
  const cmp = (a: string) => (caseSensitive ? a : a.toLowerCase());
  if (m.prefix !== undefined) return cmp(bare).startsWith(cmp(String(m.prefix)));
  if (m.path !== undefined) return cmp(bare) === cmp(String(m.path));
  if (m.safe_regex !== undefined)
    return fullMatch(String((m.safe_regex as Obj).regex), bare, !caseSensitive);
  if (m.path_separated_prefix !== undefined) {
    const p = String(m.path_separated_prefix);
    return bare === p || bare.startsWith(`${p}/`);
  }
  throw new Error(`route-sim: unsupported path specifier ${JSON.stringify(m)}`);
}

function queryMatches(q: Obj, path: string): boolean {
  const params = new URLSearchParams(path.includes('?') ? path.slice(path.indexOf('?') + 1) : '');
  const value = params.get(String(q.name));
  if (q.present_match === true) return value !== null;
  return value !== null && stringMatches(q.string_match as Obj, value);
}

export function routeMatches(match: Obj, req: Request): boolean {
  if (!pathMatches(match, req.path)) return false;
  if (!((match.headers as Obj[] | undefined) ?? []).every((h) => headerMatches(h, req)))
    return false;
  return ((match.query_parameters as Obj[] | undefined) ?? []).every((q) =>
    queryMatches(q, req.path),
  );
}

/** Where `req` goes under `config`, or undefined when no virtual host or route matches (Envoy: 404). */
export function simulate(config: EnvoyResource, req: Request): Outcome | undefined {
  const vh = selectVirtualHost(config, req.host);
  if (!vh) return undefined;
  for (const route of vh.routes as Obj[]) {
    if (!routeMatches(route.match as Obj, req)) continue;
    const out: Outcome = { virtualHost: String(vh.name), route: String(route.name ?? '') };
    const action = route.route as Obj | undefined;
    if (action?.cluster) out.cluster = String(action.cluster);
    if (action?.weighted_clusters) {
      out.weighted = ((action.weighted_clusters as Obj).clusters as Obj[]).map((c) => ({
        name: String(c.name),
        weight: (c.weight as { value: number }).value,
      }));
    }
    if (route.redirect) out.redirect = route.redirect as Obj;
    if (route.direct_response) out.directResponse = route.direct_response as { status: number };
    return out;
  }
  return undefined;
}
