// Istio HTTPMatchRequest → Envoy RouteMatch: uri (exact → path, prefix, regex →
// safe_regex), headers and withoutHeaders (inverted), method / authority / scheme as
// pseudo-headers, query parameters, ignoreUriCase → case_sensitive false.
import type { HTTPMatchRequest } from '../../../api/istio/index.ts';
import { headerMatcher, queryParameterMatcher } from '../common/string-match.ts';

export function routeMatch(match: HTTPMatchRequest | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { prefix: '/' };
  if (!match) return out;

  const headers: Record<string, unknown>[] = [];
  for (const [name, m] of Object.entries(match.headers ?? {})) headers.push(headerMatcher(name, m));
  for (const [name, m] of Object.entries(match.withoutHeaders ?? {}))
    headers.push(headerMatcher(name, m, true));
  headers.sort((a, b) =>
    String(a.name) < String(b.name) ? -1 : String(a.name) > String(b.name) ? 1 : 0,
  );
  if (match.method) headers.push(headerMatcher(':method', match.method));
  if (match.authority) headers.push(headerMatcher(':authority', match.authority));
  if (match.scheme) headers.push(headerMatcher(':scheme', match.scheme));

  const uri = match.uri;
  if (uri?.exact !== undefined) {
    delete out.prefix;
    out.path = uri.exact;
  } else if (uri?.prefix !== undefined) out.prefix = uri.prefix;
  else if (uri?.regex !== undefined) {
    delete out.prefix;
    out.safe_regex = { regex: uri.regex };
  }
  out.case_sensitive = { value: !match.ignoreUriCase };
  if (headers.length > 0) out.headers = headers;

  const params = Object.entries(match.queryParams ?? {}).sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  if (params.length > 0)
    out.query_parameters = params.map(([name, m]) => queryParameterMatcher(name, m));
  return out;
}

/** A route nothing after can be reached past: `/` prefix (or `.*` regex) with no header or query conditions. */
export function isCatchAll(match: Record<string, unknown>): boolean {
  const everyPath =
    match.prefix === '/' || (match.safe_regex as { regex?: string } | undefined)?.regex === '.*';
  return everyPath && !match.headers && !match.query_parameters;
}
