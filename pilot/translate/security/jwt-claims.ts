// RBAC principals on the JWT payload jwt_authn writes to dynamic metadata: Istio's
// requestPrincipals (`iss/sub` with wildcards) and request.auth.* claims
// (security/authz/model generator), for authz-rule.ts.
import { JWT_AUTHN_FILTER, JWT_PAYLOAD_KEY } from './names.ts';
import { stringMatcher } from './matchers.ts';

type Obj = Record<string, unknown>;

const orIds = (ids: Obj[]): Obj => ({ or_ids: { ids } });
const andIds = (ids: Obj[]): Obj => ({ and_ids: { ids } });

function jwtClaim(path: string[], value: Obj): Obj {
  return {
    metadata: {
      filter: JWT_AUTHN_FILTER,
      path: [JWT_PAYLOAD_KEY, ...path].map((key) => ({ key })),
      value,
    },
  };
}

/**
 * A claim may be a string or a list of strings (aud, groups, scope once split): the
 * condition holds when the string, or any element of the list, matches one value.
 */
export function claimMatcher(path: string[], values: string[]): Obj {
  const one =
    values.length === 1
      ? { string_match: stringMatcher(values[0]!) }
      : { or_match: { value_matchers: values.map((v) => ({ string_match: stringMatcher(v) })) } };
  return jwtClaim(path, { or_match: { value_matchers: [one, { list_match: { one_of: one } }] } });
}

/**
 * `iss/sub` values of requestPrincipals: split at the last `/` (issuers are often
 * URLs), each half matched in the JWT payload, with Istio's wildcard cases.
 */
export function requestPrincipals(values: string[]): Obj {
  const any = { safe_regex: { regex: '.+' } };
  const ids = values.map((value) => {
    const idx = value.lastIndexOf('/');
    const found = idx >= 0;
    const iss = found ? value.slice(0, idx) : value;
    const sub = found ? value.slice(idx + 1) : '';
    let mIss: Obj;
    let mSub: Obj;
    if (value === '*') [mIss, mSub] = [any, any];
    else if (value.startsWith('*')) {
      if (found) [mIss, mSub] = [iss === '*' ? any : { suffix: iss.slice(1) }, { exact: sub }];
      else [mIss, mSub] = [any, { suffix: value.slice(1) }];
    } else if (value.endsWith('*')) {
      if (found) [mIss, mSub] = [{ exact: iss }, sub === '*' ? any : { prefix: sub.slice(0, -1) }];
      else [mIss, mSub] = [{ prefix: value.slice(0, -1) }, any];
    } else [mIss, mSub] = [{ exact: iss }, { exact: sub }];
    return andIds([
      jwtClaim(['iss'], { string_match: mIss }),
      jwtClaim(['sub'], { string_match: mSub }),
    ]);
  });
  return ids.length === 1 ? ids[0]! : orIds(ids);
}
