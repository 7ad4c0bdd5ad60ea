// RouteMatch compiled to one predicate: path specifier, case sensitivity, headers,
// query parameters, gRPC and runtime fraction. Envoy's path rules: `prefix` compares
// the whole :path; `path`, `safe_regex` and `path_separated_prefix` ignore the query.
import type { Issues } from '../config/issues.ts';
import { asObj, fractionalPercent, wrappedBool, type Obj } from '../config/values.ts';
import {
  compileHeaderMatchers,
  compileQueryMatchers,
  type RequestPredicate,
} from '../match/header-matcher.ts';
import { compileFullRegex } from '../match/regex.ts';
import type { RequestView } from './types.ts';

export interface CompiledMatch {
  matches(req: RequestView, pathNoQuery: string): boolean;
  /** The literal path part that prefix_rewrite replaces. */
  rewriteBase: string | undefined;
}

export function compileRouteMatch(m: Obj, issues: Issues): CompiledMatch | undefined {
  const cs = wrappedBool(m.case_sensitive, true);
  let pathTest: ((req: RequestView, p: string) => boolean) | undefined;
  let rewriteBase: string | undefined;
  if (typeof m.prefix === 'string') {
    const prefix = cs ? m.prefix : m.prefix.toLowerCase();
    rewriteBase = m.prefix;
    if (prefix === '' || prefix === '/')
      pathTest = prefix === '' ? () => true : (req) => req.path.startsWith('/');
    else
      pathTest = cs
        ? (req) => req.path.startsWith(prefix)
        : (req) => req.path.toLowerCase().startsWith(prefix);
  } else if (typeof m.path === 'string') {
    const path = cs ? m.path : m.path.toLowerCase();
    rewriteBase = m.path;
    pathTest = cs ? (_r, p) => p === path : (_r, p) => p.toLowerCase() === path;
  } else if (m.safe_regex !== undefined) {
    const re = compileFullRegex(m.safe_regex, issues, 'safe_regex');
    if (!re) return undefined;
    pathTest = (_r, p) => re.test(p);
  } else if (typeof m.path_separated_prefix === 'string') {
    const raw = m.path_separated_prefix;
    if (raw.endsWith('/') || raw.includes('?') || raw.includes('#')) {
      issues.add('must not end with "/" nor contain "?" or "#"', 'path_separated_prefix');
      return undefined;
    }
    const prefix = cs ? raw : raw.toLowerCase();
    rewriteBase = raw;
    pathTest = (_r, p) => {
      const s = cs ? p : p.toLowerCase();
      return (
        s.startsWith(prefix) &&
        (s.length === prefix.length || s.charCodeAt(prefix.length) === 47) /* / */
      );
    };
  } else if (m.connect_matcher !== undefined) {
    pathTest = (req) => req.method === 'CONNECT';
  } else if (m.path_match_policy !== undefined) {
    issues.add('path_match_policy (URI templates) is not supported', 'path_match_policy');
    return undefined;
  } else {
    issues.add(
      'match needs one of prefix, path, safe_regex, path_separated_prefix, connect_matcher',
    );
    return undefined;
  }
  const extra: RequestPredicate[] = [
    ...compileHeaderMatchers(m.headers, issues.at('headers')),
    ...compileQueryMatchers(m.query_parameters, issues.at('query_parameters')),
  ];
  if (m.grpc !== undefined)
    extra.push((req) => (req.header('content-type') ?? '').startsWith('application/grpc'));
  const rf = asObj(m.runtime_fraction);
  if (rf) {
    const fraction = fractionalPercent(
      rf.default_value,
      issues,
      'runtime_fraction.default_value',
      1,
    );
    extra.push(() => Math.random() < fraction);
  }
  if (m.tls_context !== undefined) {
    const tls = asObj(m.tls_context)!;
    // Every downstream here is plaintext: `presented: true` can never match.
    if (wrappedBool(tls.presented, false) || wrappedBool(tls.validated, false))
      extra.push(() => false);
  }
  if (m.dynamic_metadata !== undefined)
    issues.add('dynamic_metadata matching is not supported', 'dynamic_metadata');
  if (m.filter_state !== undefined)
    issues.add('filter_state matching is not supported', 'filter_state');
  const test = pathTest;
  if (extra.length === 0) return { matches: test, rewriteBase };
  return {
    rewriteBase,
    matches(req, p) {
      if (!test(req, p)) return false;
      for (let i = 0; i < extra.length; i++) if (!extra[i]!(req)) return false;
      return true;
    },
  };
}
