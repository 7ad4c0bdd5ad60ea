// VirtualService corsPolicy → typed_per_filter_config for envoy.filters.http.cors (a
// CorsPolicy; the cors filter is in every Envoy HCM Petrel builds). Preflights that
// do not match are forwarded unless unmatchedPreflights is IGNORE, as in Istio.
import type { HTTPRoute } from '../../../api/istio/index.ts';
import { goDurationSeconds } from '../common/envoy.ts';
import { stringMatcher } from '../common/string-match.ts';
import { CORS_POLICY } from '../common/type-urls.ts';

export const CORS_FILTER = 'envoy.filters.http.cors';

export function corsPolicy(cors: HTTPRoute['corsPolicy']): Record<string, unknown> | undefined {
  if (!cors) return undefined;
  const out: Record<string, unknown> = {
    '@type': CORS_POLICY,
    filter_enabled: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
    forward_not_matching_preflights: { value: cors.unmatchedPreflights !== 'IGNORE' },
  };
  if (cors.allowOrigins)
    out.allow_origin_string_match = cors.allowOrigins.map((m) => stringMatcher(m));
  else if (cors.allowOrigin)
    out.allow_origin_string_match = cors.allowOrigin.map((exact) => ({ exact }));
  if (cors.allowMethods?.length) out.allow_methods = cors.allowMethods.join(',');
  if (cors.allowHeaders?.length) out.allow_headers = cors.allowHeaders.join(',');
  if (cors.exposeHeaders?.length) out.expose_headers = cors.exposeHeaders.join(',');
  if (cors.maxAge) out.max_age = String(goDurationSeconds(cors.maxAge));
  if (cors.allowCredentials !== undefined) out.allow_credentials = { value: cors.allowCredentials };
  return out;
}
