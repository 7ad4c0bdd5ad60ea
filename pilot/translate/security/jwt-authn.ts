// RequestAuthentications → one Envoy jwt_authn filter, as Istio's authn policy
// applier builds it (convertToEnvoyJwtConfig): one provider `origins-<i>` per JWT
// rule (rules sorted by issuer), each writing its verified payload to dynamic
// metadata so RBAC can match `requestPrincipals` and `request.auth.claims`. The
// requirement lets a request without any token through (an AuthorizationPolicy
// decides whether one is needed) and rejects one whose token fails (401).
//
// Keys: inline `jwks` becomes local_jwks; `jwksUri` becomes remote_jwks, fetched and
// cached by the proxy (Istio's PILOT_JWT_ENABLE_REMOTE_JWKS mode), with the cluster
// named as Istio names the URI's host.
import { envoyDuration, parseDurationMs } from '../../../api/istio/duration.ts';
import type { JWTRule } from '../../../api/istio/security/request-authentication.ts';
import type { RequestAuthentication } from '../../model/authorization.ts';
import { outboundClusterName } from '../common/names.ts';
import { JWT_AUTHENTICATION, JWT_AUTHN_FILTER, JWT_PAYLOAD_KEY } from './names.ts';

type Obj = Record<string, unknown>;

/** Istio always treats these claims as space-delimited lists (`scope: "a b"`). */
const DEFAULT_SPACE_DELIMITED = ['permission', 'scope'];
const DEFAULT_TIMEOUT_MS = 5000;
/** Istio's remote JWKS cache duration. */
const JWKS_CACHE = '300s';

function jwksSource(rule: JWTRule): Obj {
  if (rule.jwks !== undefined) return { local_jwks: { inline_string: rule.jwks } };
  const uri = new URL(rule.jwksUri!);
  const port = uri.port ? Number(uri.port) : uri.protocol === 'https:' ? 443 : 80;
  const timeout = rule.timeout
    ? (parseDurationMs(rule.timeout) ?? DEFAULT_TIMEOUT_MS)
    : DEFAULT_TIMEOUT_MS;
  return {
    remote_jwks: {
      http_uri: {
        uri: rule.jwksUri,
        cluster: outboundClusterName(port, undefined, uri.hostname),
        timeout: envoyDuration(timeout),
      },
      cache_duration: JWKS_CACHE,
    },
  };
}

function provider(rule: JWTRule): Obj {
  const p: Obj = { issuer: rule.issuer };
  if (rule.audiences?.length) p.audiences = rule.audiences;
  Object.assign(p, jwksSource(rule));
  if (rule.forwardOriginalToken) p.forward = true;
  if (rule.fromHeaders?.length)
    p.from_headers = rule.fromHeaders.map((h) =>
      h.prefix ? { name: h.name, value_prefix: h.prefix } : { name: h.name },
    );
  if (rule.fromParams?.length) p.from_params = rule.fromParams;
  if (rule.fromCookies?.length) p.from_cookies = rule.fromCookies;
  if (rule.outputPayloadToHeader) p.forward_payload_header = rule.outputPayloadToHeader;
  p.payload_in_metadata = JWT_PAYLOAD_KEY;
  p.normalize_payload_in_metadata = {
    space_delimited_claims: [
      ...new Set([...(rule.spaceDelimitedClaims ?? []), ...DEFAULT_SPACE_DELIMITED]),
    ].sort(),
  };
  if (rule.outputClaimToHeaders?.length)
    p.claim_to_headers = rule.outputClaimToHeaders.map((c) => ({
      header_name: c.header,
      claim_name: c.claim,
    }));
  return p;
}

const byName = (provider_name: string): Obj => ({ provider_name });
const anyOf = (requirements: Obj[]): Obj => ({ requires_any: { requirements } });

/** The jwt_authn filter for a workload's RequestAuthentications, or undefined when it has no JWT rules. */
export function jwtAuthnFilter(policies: readonly RequestAuthentication[]): Obj | undefined {
  const rules = policies.flatMap((p) => p.spec.jwtRules ?? []);
  if (rules.length === 0) return undefined;
  // Stable sort: rules of one issuer keep the order of their (oldest first) policies.
  rules.sort((a, b) => (a.issuer < b.issuer ? -1 : a.issuer > b.issuer ? 1 : 0));
  const providers: Record<string, Obj> = {};
  const names = rules.map((rule, i) => {
    const name = `origins-${i}`;
    providers[name] = provider(rule);
    return name;
  });
  // A token, if present, must be valid for its provider; no token at all passes.
  // With several providers, any one of them succeeding is enough (they may share a
  // location, where the others necessarily fail), else every one must be missing.
  const allowMissing = { allow_missing: {} };
  const requires =
    names.length === 1
      ? anyOf([byName(names[0]!), allowMissing])
      : anyOf([
          ...names.map(byName),
          { requires_all: { requirements: names.map((n) => anyOf([byName(n), allowMissing])) } },
        ]);
  return {
    name: JWT_AUTHN_FILTER,
    typed_config: {
      '@type': JWT_AUTHENTICATION,
      providers,
      rules: [{ match: { prefix: '/' }, requires }],
      bypass_cors_preflight: true,
    },
  };
}
