// envoy.config.route.v3.HeaderMatcher and QueryParameterMatcher compiled to
// predicates over a request view. Multiple values of one header are joined with
// "," before matching, as Envoy does.
import type { Issues } from '../config/issues.ts';
import { asArray, asNumber, asString, isObj } from '../config/values.ts';
import { compileFullRegex } from './regex.ts';
import { compileStringMatcher, type StringPredicate } from './string-matcher.ts';

/** What matchers read from a request: headers (pseudo-headers included) and the query. */
export interface MatchInput {
  header(name: string): string | undefined;
  queryParam(name: string): string | undefined | null;
}

export type RequestPredicate = (req: MatchInput) => boolean;

export function compileHeaderMatchers(v: unknown, issues: Issues): RequestPredicate[] {
  const out: RequestPredicate[] = [];
  asArray(v).forEach((h, i) => {
    const p = compileHeaderMatcher(h, issues.at(i));
    if (p) out.push(p);
  });
  return out;
}

function compileHeaderMatcher(h: unknown, issues: Issues): RequestPredicate | undefined {
  if (!isObj(h)) {
    issues.add('expected a HeaderMatcher');
    return undefined;
  }
  const name = asString(h.name)?.toLowerCase();
  if (!name) {
    issues.add('name is required', 'name');
    return undefined;
  }
  const invert = h.invert_match === true;
  const missingAsEmpty = h.treat_missing_header_as_empty === true;
  let test: StringPredicate | undefined;
  let presence: boolean | undefined;
  if (typeof h.exact_match === 'string') {
    const want = h.exact_match;
    test = (s) => s === want;
  } else if (typeof h.prefix_match === 'string') {
    const want = h.prefix_match;
    test = (s) => s.startsWith(want);
  } else if (typeof h.suffix_match === 'string') {
    const want = h.suffix_match;
    test = (s) => s.endsWith(want);
  } else if (typeof h.contains_match === 'string') {
    const want = h.contains_match;
    test = (s) => s.includes(want);
  } else if (h.safe_regex_match !== undefined) {
    const re = compileFullRegex(h.safe_regex_match, issues, 'safe_regex_match');
    if (!re) return undefined;
    test = (s) => re.test(s);
  } else if (h.string_match !== undefined) {
    test = compileStringMatcher(h.string_match, issues, 'string_match');
    if (!test) return undefined;
  } else if (isObj(h.range_match)) {
    const start = asNumber(h.range_match.start) ?? 0;
    const end = asNumber(h.range_match.end) ?? 0;
    test = (s) => {
      if (!/^-?\d+$/.test(s)) return false;
      const n = Number(s);
      return n >= start && n < end;
    };
  } else if (typeof h.present_match === 'boolean') {
    presence = h.present_match;
  } else {
    // No match specifier means "header present" (HeaderMatcher docs).
    presence = true;
  }
  if (presence !== undefined) {
    const want = presence;
    return (req) => ((req.header(name) !== undefined) === want) !== invert;
  }
  const t = test!;
  return (req) => {
    let value = req.header(name);
    if (value === undefined) {
      if (!missingAsEmpty) return false; // a missing header never matches, even inverted
      value = '';
    }
    return t(value) !== invert;
  };
}

export function compileQueryMatchers(v: unknown, issues: Issues): RequestPredicate[] {
  const out: RequestPredicate[] = [];
  asArray(v).forEach((q, i) => {
    const iss = issues.at(i);
    if (!isObj(q) || typeof q.name !== 'string' || q.name === '') {
      iss.add('name is required', 'name');
      return;
    }
    const name = q.name;
    if (q.string_match !== undefined) {
      const t = compileStringMatcher(q.string_match, iss, 'string_match');
      if (t)
        out.push((req) => {
          const value = req.queryParam(name);
          return typeof value === 'string' && t(value);
        });
    } else if (q.present_match === true || q.present_match === undefined) {
      out.push((req) => req.queryParam(name) !== undefined);
    } else {
      out.push((req) => req.queryParam(name) === undefined);
    }
  });
  return out;
}
