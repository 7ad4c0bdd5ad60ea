// envoy.filters.http.cors: answers preflight requests and adds the CORS response
// headers, with the policy taken from the route or virtual host
// (typed_per_filter_config CorsPolicy, or the deprecated `cors` field).
import type { Issues } from '../config/issues.ts';
import {
  asArray,
  asObj,
  asString,
  durationMs,
  fractionalPercent,
  wrappedBool,
  type Obj,
} from '../config/values.ts';
import { compileStringMatcher, type StringPredicate } from '../match/string-matcher.ts';
import type { HeaderMap } from '../upstream/types.ts';
import type { HttpFilter, HttpFilterContext, HttpFilterFactory } from './types.ts';

const FILTER_TYPE = 'envoy.extensions.filters.http.cors.v3.Cors';
const POLICY_TYPE = 'envoy.extensions.filters.http.cors.v3.CorsPolicy';

export interface CorsPolicy {
  origins: StringPredicate[];
  allowMethods: string | undefined;
  allowHeaders: string | undefined;
  exposeHeaders: string | undefined;
  maxAge: string | undefined;
  allowCredentials: boolean;
  enabledFraction: number;
  allowPrivateNetwork: boolean;
}

export function compileCorsPolicy(c: Obj, issues: Issues): CorsPolicy {
  const origins: StringPredicate[] = [];
  asArray(c.allow_origin_string_match).forEach((m, i) => {
    const p = compileStringMatcher(m, issues, `allow_origin_string_match[${i}]`);
    if (p) origins.push(p);
  });
  const enabled = asObj(c.filter_enabled);
  return {
    origins,
    allowMethods: asString(c.allow_methods) || undefined,
    allowHeaders: asString(c.allow_headers) || undefined,
    exposeHeaders: asString(c.expose_headers) || undefined,
    maxAge:
      asString(c.max_age) ||
      (c.max_age !== undefined && durationMs(c.max_age, issues, 'max_age') !== undefined
        ? String(Math.round(durationMs(c.max_age, issues, 'max_age')! / 1000))
        : undefined),
    allowCredentials: wrappedBool(c.allow_credentials, false),
    enabledFraction: enabled
      ? fractionalPercent(enabled.default_value, issues, 'filter_enabled.default_value', 1)
      : 1,
    allowPrivateNetwork: wrappedBool(c.allow_private_network_access, false),
  };
}

function originAllowed(p: CorsPolicy, origin: string): boolean {
  for (const m of p.origins) if (m('*') || m(origin)) return true;
  return false;
}

class CorsFilter implements HttpFilter {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }

  private policy(ctx: HttpFilterContext): CorsPolicy | undefined {
    const p = ctx.perFilterConfig(this.name) as CorsPolicy | undefined;
    if (!p || (p.enabledFraction < 1 && Math.random() >= p.enabledFraction)) return undefined;
    return p;
  }

  decodeHeaders(ctx: HttpFilterContext): boolean {
    const origin = ctx.request.header('origin');
    if (origin === undefined || ctx.request.method !== 'OPTIONS') return true;
    const reqMethod = ctx.request.header('access-control-request-method');
    if (reqMethod === undefined || reqMethod === '') return true;
    const p = this.policy(ctx);
    if (!p || !originAllowed(p, origin)) return true;
    const headers: HeaderMap = { 'access-control-allow-origin': origin };
    if (p.allowCredentials) headers['access-control-allow-credentials'] = 'true';
    if (p.allowMethods) headers['access-control-allow-methods'] = p.allowMethods;
    if (p.allowHeaders) headers['access-control-allow-headers'] = p.allowHeaders;
    if (p.maxAge) headers['access-control-max-age'] = p.maxAge;
    if (
      p.allowPrivateNetwork &&
      ctx.request.header('access-control-request-private-network') === 'true'
    ) {
      headers['access-control-allow-private-network'] = 'true';
    }
    ctx.sendLocalReply(200, '', { headers, details: 'cors_response' });
    return false;
  }

  encodeHeaders(ctx: HttpFilterContext, _status: number, headers: HeaderMap): void {
    const origin = ctx.request.header('origin');
    if (origin === undefined || headers['access-control-allow-origin'] !== undefined) return;
    const p = this.policy(ctx);
    if (!p || !originAllowed(p, origin)) return;
    headers['access-control-allow-origin'] = origin;
    if (p.allowCredentials) headers['access-control-allow-credentials'] = 'true';
    if (p.exposeHeaders) headers['access-control-expose-headers'] = p.exposeHeaders;
  }
}

export const corsFactory: HttpFilterFactory = {
  typeName: FILTER_TYPE,
  create(name) {
    return new CorsFilter(name);
  },
  perRoute: { [POLICY_TYPE]: compileCorsPolicy },
};
