// envoy.type.matcher.v3.StringMatcher compiled to a predicate, once, at config time.
import type { Issues } from '../config/issues.ts';
import { asString, isObj } from '../config/values.ts';
import { compileFullRegex } from './regex.ts';

export type StringPredicate = (value: string) => boolean;

export function compileStringMatcher(
  v: unknown,
  issues: Issues,
  field: string,
): StringPredicate | undefined {
  if (!isObj(v)) {
    issues.add('expected a StringMatcher', field);
    return undefined;
  }
  const ic = v.ignore_case === true;
  const norm = (s: string): string => (ic ? s.toLowerCase() : s);
  if (typeof v.exact === 'string') {
    const want = norm(v.exact);
    return ic ? (s) => s.toLowerCase() === want : (s) => s === want;
  }
  if (typeof v.prefix === 'string') {
    const want = norm(v.prefix);
    return ic ? (s) => s.toLowerCase().startsWith(want) : (s) => s.startsWith(want);
  }
  if (typeof v.suffix === 'string') {
    const want = norm(v.suffix);
    return ic ? (s) => s.toLowerCase().endsWith(want) : (s) => s.endsWith(want);
  }
  if (typeof v.contains === 'string') {
    const want = norm(v.contains);
    return ic ? (s) => s.toLowerCase().includes(want) : (s) => s.includes(want);
  }
  if (v.safe_regex !== undefined) {
    const re = compileFullRegex(v.safe_regex, issues, `${field}.safe_regex`);
    return re ? (s) => re.test(s) : undefined;
  }
  if (v.custom !== undefined) {
    issues.add('custom string matchers are not supported', `${field}.custom`);
    return undefined;
  }
  const keys = Object.keys(v).filter((k) => k !== 'ignore_case');
  issues.add(
    `StringMatcher needs one of exact, prefix, suffix, contains, safe_regex (got ${keys.join(', ') || 'none'})`,
    field,
  );
  return undefined;
}

/** For callers that hold a plain string list of exact values. */
export function exactMatcher(value: string): StringPredicate {
  return (s) => s === value;
}
