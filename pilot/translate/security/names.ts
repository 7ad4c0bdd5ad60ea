// Filter names and type URLs of the security HTTP filters, spelled once.
const T = 'type.googleapis.com/';

export const RBAC_FILTER = 'envoy.filters.http.rbac';
export const NETWORK_RBAC_FILTER = 'envoy.filters.network.rbac';
export const JWT_AUTHN_FILTER = 'envoy.filters.http.jwt_authn';
export const LOCAL_RATELIMIT_FILTER = 'envoy.filters.http.local_ratelimit';

export const RBAC = `${T}envoy.extensions.filters.http.rbac.v3.RBAC`;
export const NETWORK_RBAC = `${T}envoy.extensions.filters.network.rbac.v3.RBAC`;
export const JWT_AUTHENTICATION = `${T}envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication`;
export const LOCAL_RATE_LIMIT = `${T}envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit`;
export const URI_TEMPLATE_MATCH = `${T}envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig`;

/** jwt_authn writes each verified payload under this key of its dynamic metadata (Istio's choice). */
export const JWT_PAYLOAD_KEY = 'payload';

/** Istio's names of the RBAC stat prefixes for dry-run (shadow) rules. */
export const SHADOW_ALLOW_PREFIX = 'istio_dry_run_allow_';
export const SHADOW_DENY_PREFIX = 'istio_dry_run_deny_';

/** Istio's stat_prefix of the network RBAC filters (RBACTCPFilterStatPrefix). */
export const TCP_RBAC_STAT_PREFIX = 'tcp.';

// CUSTOM (ext_authz), as Istio's authz builder names things (security/authz/builder/extauthz.go).
export const EXT_AUTHZ_FILTER = 'envoy.filters.http.ext_authz';
export const NETWORK_EXT_AUTHZ_FILTER = 'envoy.filters.network.ext_authz';
export const EXT_AUTHZ = `${T}envoy.extensions.filters.http.ext_authz.v3.ExtAuthz`;
export const NETWORK_EXT_AUTHZ = `${T}envoy.extensions.filters.network.ext_authz.v3.ExtAuthz`;

/** CUSTOM policy names start `istio-ext-authz-<provider>-`; ext_authz runs when one matched. */
export const EXT_AUTHZ_MATCH_PREFIX = 'istio-ext-authz';
/** Stat prefix of the CUSTOM shadow rules; RBAC writes `<prefix>shadow_effective_policy_id`. */
export const EXT_AUTHZ_SHADOW_PREFIX = 'istio_ext_authz_';
export const SHADOW_EFFECTIVE_POLICY_ID = 'shadow_effective_policy_id';
/** Suffix of the enforced DENY policies built when a CUSTOM policy's provider cannot be used. */
export const BAD_CUSTOM_SUFFIX = '-deny-due-to-bad-CUSTOM-action';
