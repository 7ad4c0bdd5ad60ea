// Envoy's safe_regex is RE2 with full-match semantics. JavaScript's RegExp accepts
// almost all of RE2's syntax; the differences handled here are RE2's `(?P<name>`
// groups and a leading `(?flags)` group. Patterns are compiled once, at config time.
import type { Issues } from '../config/issues.ts';
import { asString, isObj } from '../config/values.ts';

export function translateRe2(pattern: string): { source: string; flags: string } {
  let source = pattern.replace(/\(\?P</g, '(?<');
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(source);
  if (lead) {
    source = source.slice(lead[0].length);
    for (const f of lead[1]!) if (f === 'i' || f === 'm' || f === 's') flags += f;
  }
  return { source, flags };
}

/** A RegexMatcher (`{ regex }`) compiled for full matches; undefined and an issue when invalid. */
export function compileFullRegex(v: unknown, issues: Issues, field: string): RegExp | undefined {
  const re = regexSource(v, issues, field);
  if (re === undefined) return undefined;
  try {
    const { source, flags } = translateRe2(re);
    return new RegExp(`^(?:${source})$`, flags);
  } catch (e) {
    issues.add(
      `regex ${JSON.stringify(re)} does not compile: ${(e as Error).message}`,
      `${field}.regex`,
    );
    return undefined;
  }
}

/** A RegexMatcher compiled for search/replace (global, not anchored). */
export function compileSearchRegex(v: unknown, issues: Issues, field: string): RegExp | undefined {
  const re = regexSource(v, issues, field);
  if (re === undefined) return undefined;
  try {
    const { source, flags } = translateRe2(re);
    return new RegExp(source, flags + 'g');
  } catch (e) {
    issues.add(
      `regex ${JSON.stringify(re)} does not compile: ${(e as Error).message}`,
      `${field}.regex`,
    );
    return undefined;
  }
}

function regexSource(v: unknown, issues: Issues, field: string): string | undefined {
  const re = isObj(v) ? asString(v.regex) : undefined;
  if (re === undefined) {
    issues.add('regex is required', field);
    return undefined;
  }
  return re;
}

/** Envoy substitutions use \1..\9 for groups; JavaScript uses $1..$9 (and $ must be escaped). */
export function translateSubstitution(sub: string): string {
  return sub.replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1');
}
