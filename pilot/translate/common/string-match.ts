// Istio StringMatch → Envoy StringMatcher / HeaderMatcher / QueryParameterMatcher,
// as Istio's route translation does (regex "*" means "present").
import type { StringMatch } from '../../../api/istio/index.ts';

export function stringMatcher(match: StringMatch, ignoreCase = false): Record<string, unknown> {
  const out: Record<string, unknown> =
    match.exact !== undefined
      ? { exact: match.exact }
      : match.prefix !== undefined
        ? { prefix: match.prefix }
        : { safe_regex: { regex: match.regex ?? '' } };
  if (ignoreCase && match.regex === undefined) out.ignore_case = true;
  return out;
}

/** Istio treats regex "*" (not valid RE2 on its own) as "the header is present". */
function isPresentMatch(match: StringMatch | undefined): boolean {
  return match === undefined || match.regex === '*';
}

export function headerMatcher(
  name: string,
  match: StringMatch | undefined,
  invert = false,
): Record<string, unknown> {
  const out: Record<string, unknown> = { name };
  if (isPresentMatch(match)) out.present_match = true;
  else {
    out.string_match = stringMatcher(match!);
    // withoutHeaders on a header the request lacks must match (Istio sets this with invert).
    if (invert) out.treat_missing_header_as_empty = true;
  }
  if (invert) out.invert_match = true;
  return out;
}

export function queryParameterMatcher(name: string, match: StringMatch): Record<string, unknown> {
  return isPresentMatch(match)
    ? { name, present_match: true }
    : { name, string_match: stringMatcher(match) };
}
