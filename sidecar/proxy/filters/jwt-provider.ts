// One jwt_authn JwtProvider: where its tokens are (headers, query parameters,
// cookies; default `Authorization: Bearer` and `access_token`), and how one is
// checked, in Envoy's order: shape, issuer, time (with clock skew), audiences,
// then the signature against the provider's JWKS (jose). Failures carry Envoy's
// status messages, which become the body of the 401 (403 for audiences).
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import type { Issues } from '../config/issues.ts';
import { asArray, asNumber, asObj, asString, durationMs, type Obj } from '../config/values.ts';
import { compileStringMatcher, type StringPredicate } from '../match/string-matcher.ts';
import type { RequestView } from '../route/types.ts';
import { compileJwksSource, type KeySelector } from './jwks-source.ts';

export type JwtStatus =
  | 'Jwt is missing'
  | 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections'
  | 'Jwt issuer is not configured'
  | 'Jwt is expired'
  | 'Jwt not yet valid'
  | 'Jwt has no expiration'
  | 'Jwt lifetime is longer than allowed'
  | 'Audiences in Jwt are not allowed'
  | 'Jwt subject is not allowed'
  | 'Jwt verification fails'
  | "Jwks doesn't have key to match kid or alg from Jwt"
  | 'Jwks remote fetch is failed';

export interface TokenLocation {
  kind: 'header' | 'param' | 'cookie';
  name: string;
  /** For headers: the prefix before the token (`Bearer `). */
  prefix: string;
}

export interface FoundToken {
  token: string;
  location: TokenLocation;
}

export type Verified =
  | { ok: true; token: FoundToken; payload: JWTPayload; header: Obj }
  | { ok: false; status: JwtStatus };

export interface JwtProvider {
  name: string;
  issuer: string | undefined;
  audiences: string[];
  forward: boolean;
  forwardPayloadHeader: string | undefined;
  padPayloadHeader: boolean;
  payloadInMetadata: string | undefined;
  headerInMetadata: string | undefined;
  failedStatusInMetadata: string | undefined;
  spaceDelimitedClaims: ReadonlySet<string>;
  claimToHeaders: { header: string; claim: string }[];
  locations: TokenLocation[];
  find(req: RequestView): FoundToken[];
  verify(found: FoundToken, audiences?: string[]): Promise<Verified>;
}

const DEFAULT_LOCATIONS: TokenLocation[] = [
  { kind: 'header', name: 'authorization', prefix: 'Bearer ' },
  { kind: 'param', name: 'access_token', prefix: '' },
];

/** What a token may consist of: base64url segments and dots. */
const TOKEN_CHARS = /^[A-Za-z0-9_\-.=]+/;

function cookie(req: RequestView, name: string): string | undefined {
  const raw = req.header('cookie');
  if (raw === undefined) return undefined;
  for (const part of raw.split(/;\s*/)) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function extract(req: RequestView, loc: TokenLocation): string | undefined {
  let value: string | undefined | null;
  if (loc.kind === 'header') value = req.header(loc.name);
  else if (loc.kind === 'param') value = req.queryParam(loc.name);
  else value = cookie(req, loc.name);
  if (typeof value !== 'string' || value === '') return undefined;
  if (loc.prefix !== '') {
    const at = value.indexOf(loc.prefix);
    if (at < 0) return undefined;
    value = value.slice(at + loc.prefix.length);
  }
  const m = TOKEN_CHARS.exec(value.trim());
  return m ? m[0] : undefined;
}

function mapJoseError(err: unknown): JwtStatus {
  if (err instanceof errors.JWTExpired) return 'Jwt is expired';
  if (err instanceof errors.JWKSNoMatchingKey)
    return "Jwks doesn't have key to match kid or alg from Jwt";
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid)
    return 'Jwks remote fetch is failed';
  if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'nbf')
    return 'Jwt not yet valid';
  // A JWKS URI that cannot be reached (fetch rejects with a TypeError) is a fetch failure too.
  if (err instanceof TypeError) return 'Jwks remote fetch is failed';
  return 'Jwt verification fails';
}

export function compileJwtProvider(name: string, p: Obj, issues: Issues): JwtProvider | undefined {
  const keys: KeySelector | undefined = compileJwksSource(p, issues);
  const locations: TokenLocation[] = [];
  asArray(p.from_headers).forEach((h, i) => {
    const o = asObj(h);
    const n = asString(o?.name)?.toLowerCase();
    if (!n) return issues.add('name is required', `from_headers[${i}].name`);
    locations.push({ kind: 'header', name: n, prefix: asString(o!.value_prefix) ?? '' });
  });
  for (const q of asArray(p.from_params))
    if (typeof q === 'string') locations.push({ kind: 'param', name: q, prefix: '' });
  for (const c of asArray(p.from_cookies))
    if (typeof c === 'string') locations.push({ kind: 'cookie', name: c, prefix: '' });
  if (locations.length === 0) locations.push(...DEFAULT_LOCATIONS);
  let subjects: StringPredicate | undefined;
  if (p.subjects !== undefined) subjects = compileStringMatcher(p.subjects, issues, 'subjects');
  const maxLifetimeMs =
    p.max_lifetime !== undefined ? durationMs(p.max_lifetime, issues, 'max_lifetime') : undefined;
  const skew = asNumber(p.clock_skew_seconds) || 60;
  const issuer = asString(p.issuer) || undefined;
  const audiences = asArray(p.audiences).filter((a): a is string => typeof a === 'string');
  const requireExp = p.require_expiration === true;
  if (!keys) return undefined;

  const verify = async (found: FoundToken, audOverride?: string[]): Promise<Verified> => {
    let payload: JWTPayload;
    let header: Obj;
    try {
      header = decodeProtectedHeader(found.token) as Obj;
      payload = decodeJwt(found.token);
    } catch {
      return {
        ok: false,
        status: 'Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections',
      };
    }
    if (issuer !== undefined && payload.iss !== issuer)
      return { ok: false, status: 'Jwt issuer is not configured' };
    const now = Date.now() / 1000;
    if (typeof payload.nbf === 'number' && payload.nbf > now + skew)
      return { ok: false, status: 'Jwt not yet valid' };
    if (typeof payload.exp === 'number' && payload.exp < now - skew)
      return { ok: false, status: 'Jwt is expired' };
    if (requireExp && typeof payload.exp !== 'number')
      return { ok: false, status: 'Jwt has no expiration' };
    if (
      maxLifetimeMs !== undefined &&
      typeof payload.exp === 'number' &&
      typeof payload.iat === 'number' &&
      (payload.exp - payload.iat) * 1000 > maxLifetimeMs
    )
      return { ok: false, status: 'Jwt lifetime is longer than allowed' };
    const wanted = audOverride ?? audiences;
    if (wanted.length > 0) {
      const aud =
        payload.aud === undefined ? [] : Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!aud.some((a) => wanted.includes(a)))
        return { ok: false, status: 'Audiences in Jwt are not allowed' };
    }
    if (subjects && !(typeof payload.sub === 'string' && subjects(payload.sub)))
      return { ok: false, status: 'Jwt subject is not allowed' };
    try {
      // Claims were checked above with Envoy's rules; jose checks the signature (and
      // exp/nbf again, with the same skew).
      await jwtVerify(found.token, keys, { clockTolerance: skew });
    } catch (err) {
      return { ok: false, status: mapJoseError(err) };
    }
    return { ok: true, token: found, payload, header };
  };

  return {
    name,
    issuer,
    audiences,
    forward: p.forward === true,
    forwardPayloadHeader: asString(p.forward_payload_header)?.toLowerCase() || undefined,
    padPayloadHeader: p.pad_forward_payload_header === true,
    payloadInMetadata: asString(p.payload_in_metadata) || undefined,
    headerInMetadata: asString(p.header_in_metadata) || undefined,
    failedStatusInMetadata: asString(p.failed_status_in_metadata) || undefined,
    spaceDelimitedClaims: new Set(
      asArray(asObj(p.normalize_payload_in_metadata)?.space_delimited_claims).filter(
        (c): c is string => typeof c === 'string',
      ),
    ),
    claimToHeaders: asArray(p.claim_to_headers).flatMap((c) => {
      const o = asObj(c);
      const header = asString(o?.header_name)?.toLowerCase();
      const claim = asString(o?.claim_name);
      return header && claim ? [{ header, claim }] : [];
    }),
    locations,
    find(req) {
      const out: FoundToken[] = [];
      for (const location of locations) {
        const token = extract(req, location);
        if (token !== undefined) out.push({ token, location });
      }
      return out;
    },
    verify,
  };
}
