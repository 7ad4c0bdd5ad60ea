// jwt_authn's JwtRequirement tree: a provider (optionally with its own audiences),
// any-of, all-of, and the two permissive leaves. allow_missing passes when no
// token is found anywhere, and fails when one is found that no provider verifies;
// allow_missing_or_failed always passes (it only verifies to fill metadata).
import type { Issues } from '../config/issues.ts';
import { asArray, asObj, asString, type Obj } from '../config/values.ts';
import type { JwtStatus } from './jwt-provider.ts';

export type Requirement =
  | { kind: 'provider'; name: string; audiences: string[] | undefined }
  | { kind: 'any'; list: Requirement[] }
  | { kind: 'all'; list: Requirement[] }
  | { kind: 'allow_missing' }
  | { kind: 'allow_missing_or_failed' };

export type Outcome = { ok: true } | { ok: false; status: JwtStatus };

export interface RequirementEvaluator {
  /** Verifies the token a provider finds (memoised per request). */
  provider(name: string, audiences: string[] | undefined): Promise<Outcome>;
  /** Every token found by any provider, verified; ok when none is found or each verifies. */
  anyToken(): Promise<Outcome>;
}

export function compileRequirement(
  v: unknown,
  providers: ReadonlySet<string>,
  issues: Issues,
): Requirement | undefined {
  const r = asObj(v);
  if (!r) {
    issues.add('expected a JwtRequirement');
    return undefined;
  }
  const provider = (
    name: string | undefined,
    audiences: string[] | undefined,
    field: string,
  ): Requirement | undefined => {
    if (!name || !providers.has(name)) {
      issues.add(`unknown provider ${JSON.stringify(name)}`, field);
      return undefined;
    }
    return { kind: 'provider', name, audiences };
  };
  if (typeof r.provider_name === 'string')
    return provider(r.provider_name, undefined, 'provider_name');
  if (r.provider_and_audiences !== undefined) {
    const pa = asObj(r.provider_and_audiences) ?? {};
    const aud = asArray(pa.audiences).filter((a): a is string => typeof a === 'string');
    return provider(asString(pa.provider_name), aud, 'provider_and_audiences.provider_name');
  }
  for (const [field, kind] of [
    ['requires_any', 'any'],
    ['requires_all', 'all'],
  ] as const) {
    if (r[field] === undefined) continue;
    const list = asArray(asObj(r[field])?.requirements).map((x, i) =>
      compileRequirement(x, providers, issues.at(`${field}.requirements[${i}]`)),
    );
    if (list.length < 2) issues.add('needs at least 2 requirements', `${field}.requirements`);
    if (list.some((x) => x === undefined)) return undefined;
    return { kind, list: list as Requirement[] };
  }
  if (r.allow_missing !== undefined) return { kind: 'allow_missing' };
  if (r.allow_missing_or_failed !== undefined) return { kind: 'allow_missing_or_failed' };
  issues.add(
    'needs one of provider_name, provider_and_audiences, requires_any, requires_all, allow_missing, allow_missing_or_failed',
  );
  return undefined;
}

const MISSING: JwtStatus = 'Jwt is missing';

export async function evaluateRequirement(
  r: Requirement,
  ev: RequirementEvaluator,
): Promise<Outcome> {
  switch (r.kind) {
    case 'provider':
      return ev.provider(r.name, r.audiences);
    case 'allow_missing':
      return ev.anyToken();
    case 'allow_missing_or_failed':
      await ev.anyToken();
      return { ok: true };
    case 'all': {
      for (const child of r.list) {
        const out = await evaluateRequirement(child, ev);
        if (!out.ok) return out;
      }
      return { ok: true };
    }
    case 'any': {
      const outs = await Promise.all(r.list.map((child) => evaluateRequirement(child, ev)));
      if (outs.some((o) => o.ok)) return { ok: true };
      // The most telling failure: a token that was there and wrong, over one that was missing.
      const failures = outs as { ok: false; status: JwtStatus }[];
      return failures.find((f) => f.status !== MISSING) ?? { ok: false, status: MISSING };
    }
  }
}
