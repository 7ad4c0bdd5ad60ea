// envoy.type.matcher.v3.MetadataMatcher and ValueMatcher compiled to predicates
// over a request's dynamic metadata (RBAC reads jwt_authn's verified payload this
// way). A path that leads nowhere is a missing value: only `present_match: false`
// (or an inverted matcher) matches it, as in Envoy.
import type { Issues } from '../config/issues.ts';
import { asArray, asNumber, asObj, asString, isObj, type Obj } from '../config/values.ts';
import { compileStringMatcher } from '../match/string-matcher.ts';
import type { MetadataStruct } from './request-facts.ts';

export type ValuePredicate = (value: unknown) => boolean;
export type MetadataPredicate = (metadata: ReadonlyMap<string, MetadataStruct>) => boolean;

export function compileValueMatcher(v: unknown, issues: Issues): ValuePredicate | undefined {
  const m = asObj(v);
  if (!m) {
    issues.add('expected a ValueMatcher');
    return undefined;
  }
  if (m.null_match !== undefined) return (x) => x === null;
  if (m.double_match !== undefined) {
    const d = asObj(m.double_match) ?? {};
    const exact = asNumber(d.exact);
    const range = asObj(d.range);
    if (exact !== undefined) return (x) => typeof x === 'number' && x === exact;
    if (range) {
      const start = asNumber(range.start) ?? -Infinity;
      const end = asNumber(range.end) ?? Infinity;
      return (x) => typeof x === 'number' && x >= start && x < end;
    }
    issues.add('double_match needs exact or range', 'double_match');
    return undefined;
  }
  if (m.string_match !== undefined) {
    const s = compileStringMatcher(m.string_match, issues, 'string_match');
    return s ? (x) => typeof x === 'string' && s(x) : undefined;
  }
  if (typeof m.bool_match === 'boolean') {
    const want = m.bool_match;
    return (x) => x === want;
  }
  if (typeof m.present_match === 'boolean') {
    const want = m.present_match;
    return (x) => (x !== undefined) === want;
  }
  if (m.list_match !== undefined) {
    const one = compileValueMatcher(asObj(m.list_match)?.one_of, issues.at('list_match.one_of'));
    return one ? (x) => Array.isArray(x) && x.some(one) : undefined;
  }
  if (m.or_match !== undefined) {
    const list = asArray(asObj(m.or_match)?.value_matchers).map((x, i) =>
      compileValueMatcher(x, issues.at(`or_match.value_matchers[${i}]`)),
    );
    if (list.some((p) => p === undefined)) return undefined;
    const preds = list as ValuePredicate[];
    return (x) => preds.some((p) => p(x));
  }
  issues.add(
    `ValueMatcher needs one of null_match, double_match, string_match, bool_match, present_match, list_match, or_match`,
  );
  return undefined;
}

export function compileMetadataMatcher(v: unknown, issues: Issues): MetadataPredicate | undefined {
  const m = asObj(v);
  const filter = asString(m?.filter);
  if (!m || !filter) {
    issues.add('filter is required', 'filter');
    return undefined;
  }
  const path: string[] = [];
  for (const [i, seg] of asArray(m.path).entries()) {
    const key = asString(asObj(seg)?.key);
    if (!key) {
      issues.add('key is required', `path[${i}].key`);
      return undefined;
    }
    path.push(key);
  }
  if (path.length === 0) {
    issues.add('needs at least one path segment', 'path');
    return undefined;
  }
  const value = compileValueMatcher(m.value, issues.at('value'));
  if (!value) return undefined;
  const invert = m.invert === true;
  return (metadata) => {
    let cur: unknown = metadata.get(filter);
    for (const key of path) cur = isObj(cur) ? (cur as Obj)[key] : undefined;
    return value(cur) !== invert;
  };
}
