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
