// envoy.filters.http.jwt_authn: verifies JWTs by the requirement of the first rule
// matching the request (or the route's PerRouteConfig). On success the verified
// payload goes to dynamic metadata (RBAC's requestPrincipals and claims read it),
// to forward_payload_header and claim_to_headers, and the token is removed unless
// `forward`. On failure: 401 with Envoy's status message and a `www-authenticate`
// challenge (403 when the audience is wrong, as Envoy answers).
import { base64url, type JWTPayload } from 'jose';
import type { Issues } from '../config/issues.ts';
import { asArray, asObj, asString, isObj, type Obj } from '../config/values.ts';
import { compileRouteMatch, type CompiledMatch } from '../route/route-match.ts';
import {
  compileJwtProvider,
  type JwtProvider,
  type JwtStatus,
  type Verified,
} from './jwt-provider.ts';
import {
  compileRequirement,
  evaluateRequirement,
  type Outcome,
  type Requirement,
} from './jwt-requirement.ts';
import { setDynamicMetadata } from './request-facts.ts';
import type { HttpFilter, HttpFilterContext, HttpFilterFactory } from './types.ts';

const TYPE = 'envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication';
const PER_ROUTE_TYPE = 'envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig';
/** The metadata namespace Envoy's jwt_authn writes (its canonical name, whatever the filter is called). */
export const JWT_METADATA_NAMESPACE = 'envoy.filters.http.jwt_authn';

interface JwtConfig {
  providers: Map<string, JwtProvider>;
  rules: { match: CompiledMatch; requires: Requirement | undefined }[];
  requirementMap: Map<string, Requirement>;
  bypassCorsPreflight: boolean;
  stripFailureResponse: boolean;
  /** Headers the providers write: removed from every incoming request so no client can forge them. */
  sanitized: string[];
}

type PerRoute = { disabled: true } | { requirementName: string };

function compileJwtAuthn(c: Obj, issues: Issues): JwtConfig {
  if (c.filter_state_rules !== undefined)
    issues.add('filter_state_rules are not supported', 'filter_state_rules');
  const providers = new Map<string, JwtProvider>();
  for (const [name, p] of Object.entries(asObj(c.providers) ?? {})) {
    const provider = isObj(p)
      ? compileJwtProvider(name, p, issues.at(`providers["${name}"]`))
      : undefined;
    if (provider) providers.set(name, provider);
  }
  const names = new Set(Object.keys(asObj(c.providers) ?? {}));
  const requirementMap = new Map<string, Requirement>();
  for (const [name, r] of Object.entries(asObj(c.requirement_map) ?? {})) {
    const req = compileRequirement(r, names, issues.at(`requirement_map["${name}"]`));
    if (req) requirementMap.set(name, req);
  }
  const rules: JwtConfig['rules'] = [];
  asArray(c.rules).forEach((raw, i) => {
    const iss = issues.at(`rules[${i}]`);
    const r = asObj(raw) ?? {};
    const match = compileRouteMatch(asObj(r.match) ?? {}, iss.at('match'));
    if (!match) return;
    let requires: Requirement | undefined;
    if (r.requires !== undefined)
      requires = compileRequirement(r.requires, names, iss.at('requires'));
    else if (typeof r.requirement_name === 'string') {
      requires = requirementMap.get(r.requirement_name);
      if (!requires) iss.add(`unknown requirement ${r.requirement_name}`, 'requirement_name');
    }
    rules.push({ match, requires });
  });
  const sanitized = [...providers.values()].flatMap((p) => [
    ...(p.forwardPayloadHeader ? [p.forwardPayloadHeader] : []),
    ...p.claimToHeaders.map((c) => c.header),
  ]);
  return {
    providers,
    rules,
    requirementMap,
    bypassCorsPreflight: c.bypass_cors_preflight === true,
    stripFailureResponse: c.strip_failure_response === true,
    sanitized,
  };
}

function compilePerRoute(c: Obj, issues: Issues): PerRoute | undefined {
  if (c.disabled === true) return { disabled: true };
  const name = asString(c.requirement_name);
  if (name) return { requirementName: name };
  issues.add('needs disabled or requirement_name');
  return undefined;
}

/** Claims listed as space-delimited become lists in metadata (`scope: "a b"` → ['a', 'b']). */
function normalized(payload: JWTPayload, spaceDelimited: ReadonlySet<string>): JWTPayload {
  if (spaceDelimited.size === 0) return payload;
  const out: JWTPayload = { ...payload };
  for (const claim of spaceDelimited) {
    const v = out[claim];
    if (typeof v === 'string') out[claim] = v.split(' ').filter((s) => s !== '');
  }
  return out;
}

/** A claim by name, dots walking into objects (`a.b`), as a header value. */
function claimValue(payload: JWTPayload, claim: string): string | undefined {
  let cur: unknown = payload;
  for (const part of claim.split('.')) cur = isObj(cur) ? cur[part] : undefined;
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return undefined;
}

function isCorsPreflight(ctx: HttpFilterContext): boolean {
  const r = ctx.request;
  return (
    r.method === 'OPTIONS' &&
    r.header('origin') !== undefined &&
    r.header('access-control-request-method') !== undefined
  );
}

class JwtAuthnFilter implements HttpFilter {
  readonly name: string;
  private readonly cfg: JwtConfig;

  constructor(name: string, cfg: JwtConfig) {
    this.name = name;
    this.cfg = cfg;
  }

  private requirementFor(ctx: HttpFilterContext): Requirement | undefined {
    const perRoute = ctx.perFilterConfig(this.name) as PerRoute | undefined;
    if (perRoute && 'disabled' in perRoute) return undefined;
    if (perRoute) return this.cfg.requirementMap.get(perRoute.requirementName);
    const req = ctx.request;
    const q = req.path.indexOf('?');
    const pathNoQuery = q < 0 ? req.path : req.path.slice(0, q);
    return this.cfg.rules.find((r) => r.match.matches(req, pathNoQuery))?.requires;
  }

  decodeHeaders(ctx: HttpFilterContext): boolean {
    const headers = ctx.request.headers;
    for (const h of this.cfg.sanitized) delete headers[h];
    if (this.cfg.bypassCorsPreflight && isCorsPreflight(ctx)) return true;
    const requirement = this.requirementFor(ctx);
    if (!requirement) return true;
    void this.check(ctx, requirement).then(
      (outcome) => {
        if (ctx.ended) return;
        if (outcome.ok) ctx.continueDecoding();
        else this.reject(ctx, outcome.status);
      },
      () => !ctx.ended && this.reject(ctx, 'Jwt verification fails'),
    );
    return false;
  }

  private async check(ctx: HttpFilterContext, requirement: Requirement): Promise<Outcome> {
    const verified = new Map<string, Promise<Verified>>();
    const verify = (p: JwtProvider, audiences?: string[]): Promise<Verified> => {
      const key = `${p.name}|${audiences?.join(',') ?? ''}`;
      let v = verified.get(key);
      if (!v) {
        const found = p.find(ctx.request);
        v =
          found.length === 0
            ? Promise.resolve({ ok: false, status: 'Jwt is missing' } as const)
            : p.verify(found[0]!, audiences);
        verified.set(key, v);
      }
      return v;
    };
    const outcome = await evaluateRequirement(requirement, {
      provider: async (name, audiences) => {
        const v = await verify(this.cfg.providers.get(name)!, audiences);
        return v.ok ? { ok: true } : { ok: false, status: v.status };
      },
      anyToken: async () => {
        // Each token found must verify with one of the providers that look where it is.
        const byToken = new Map<string, Verified[]>();
        for (const p of this.cfg.providers.values())
          for (const f of p.find(ctx.request)) {
            const list = byToken.get(f.token) ?? [];
            list.push(await verify(p));
            byToken.set(f.token, list);
          }
        for (const results of byToken.values()) {
          if (results.some((r) => r.ok)) continue;
          const fail =
            results.find((r) => !r.ok && r.status !== 'Jwt issuer is not configured') ??
            results[0]!;
          return { ok: false, status: (fail as { status: JwtStatus }).status };
        }
        return { ok: true };
      },
    });
    if (outcome.ok) {
      for (const [key, v] of verified) {
        const result = await v;
        if (result.ok)
          this.accept(ctx, this.cfg.providers.get(key.slice(0, key.indexOf('|')))!, result);
      }
    } else {
      for (const p of this.cfg.providers.values())
        if (p.failedStatusInMetadata)
          setDynamicMetadata(ctx, JWT_METADATA_NAMESPACE, {
            [p.failedStatusInMetadata]: { code: 16, message: outcome.status },
          });
    }
    return outcome;
  }

  /** What a verified token leaves behind for the filters and the upstream after it. */
  private accept(ctx: HttpFilterContext, p: JwtProvider, v: Extract<Verified, { ok: true }>): void {
    const headers = ctx.request.headers;
    if (p.payloadInMetadata)
      setDynamicMetadata(ctx, JWT_METADATA_NAMESPACE, {
        [p.payloadInMetadata]: normalized(v.payload, p.spaceDelimitedClaims),
      });
    if (p.headerInMetadata)
      setDynamicMetadata(ctx, JWT_METADATA_NAMESPACE, { [p.headerInMetadata]: v.header });
    if (p.forwardPayloadHeader) {
      // The token's own payload segment: base64url of the payload JSON.
      let segment = v.token.token.split('.')[1] ?? base64url.encode(JSON.stringify(v.payload));
      if (p.padPayloadHeader) segment += '='.repeat((4 - (segment.length % 4)) % 4);
      headers[p.forwardPayloadHeader] = segment;
    }
    for (const { header, claim } of p.claimToHeaders) {
      const value = claimValue(v.payload, claim);
      if (value !== undefined) headers[header] = value;
    }
    // Envoy removes the token only from a header; a query parameter stays.
    if (!p.forward && v.token.location.kind === 'header') delete headers[v.token.location.name];
  }

  private reject(ctx: HttpFilterContext, status: JwtStatus): void {
    const code = status === 'Audiences in Jwt are not allowed' ? 403 : 401;
    if (this.cfg.stripFailureResponse) {
      ctx.sendLocalReply(code, '', { details: 'jwt_authn_access_denied' });
      return;
    }
    const r = ctx.request;
    const q = r.path.indexOf('?');
    // Envoy's buildOriginalUri: scheme, host and path without the query, at most 256 characters.
    const realm = `${r.scheme}://${r.authority}${q < 0 ? r.path : r.path.slice(0, q)}`.slice(
      0,
      256,
    );
    const challenge =
      status === 'Jwt is missing'
        ? `Bearer realm="${realm}"`
        : `Bearer realm="${realm}", error="invalid_token"`;
    ctx.sendLocalReply(code, status, {
      headers: { 'www-authenticate': challenge },
      details: `jwt_authn_access_denied{${status.replace(/ /g, '_')}}`,
    });
  }
}

export const jwtAuthnFactory: HttpFilterFactory = {
  typeName: TYPE,
  create(name, config, issues) {
    return new JwtAuthnFilter(name, compileJwtAuthn(config, issues));
  },
  perRoute: { [PER_ROUTE_TYPE]: compilePerRoute },
};
