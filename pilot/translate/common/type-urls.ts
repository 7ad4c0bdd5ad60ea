// Type URLs of the Envoy messages generators emit: the top-level xDS resources and
// the nested google.protobuf.Any payloads (filters, transport sockets, options).
// Kept here so every builder spells them the same way.

const T = 'type.googleapis.com/';

export const LISTENER = `${T}envoy.config.listener.v3.Listener`;
export const ROUTE_CONFIGURATION = `${T}envoy.config.route.v3.RouteConfiguration`;
export const CLUSTER = `${T}envoy.config.cluster.v3.Cluster`;
export const CLUSTER_LOAD_ASSIGNMENT = `${T}envoy.config.endpoint.v3.ClusterLoadAssignment`;

export const HTTP_CONNECTION_MANAGER = `${T}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`;
export const TCP_PROXY = `${T}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`;
export const ROUTER = `${T}envoy.extensions.filters.http.router.v3.Router`;
export const HTTP_FAULT = `${T}envoy.extensions.filters.http.fault.v3.HTTPFault`;
export const CORS = `${T}envoy.extensions.filters.http.cors.v3.Cors`;
export const CORS_POLICY = `${T}envoy.extensions.filters.http.cors.v3.CorsPolicy`;
export const TLS_INSPECTOR = `${T}envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector`;
export const HTTP_INSPECTOR = `${T}envoy.extensions.filters.listener.http_inspector.v3.HttpInspector`;
export const ORIGINAL_DST = `${T}envoy.extensions.filters.listener.original_dst.v3.OriginalDst`;
export const UPSTREAM_TLS_CONTEXT = `${T}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`;
export const DOWNSTREAM_TLS_CONTEXT = `${T}envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext`;
export const RAW_BUFFER = `${T}envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer`;
/** udpa's TypedStruct: wraps the config of filters whose proto Envoy does not ship (istio-proxy's). */
export const UDPA_TYPED_STRUCT = `${T}udpa.type.v1.TypedStruct`;
export const HTTP_PROTOCOL_OPTIONS = `${T}envoy.extensions.upstreams.http.v3.HttpProtocolOptions`;
export const PREVIOUS_HOSTS = `${T}envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate`;
export const UUID_REQUEST_ID = `${T}envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig`;

/** The key Envoy looks HttpProtocolOptions up by in typed_extension_protocol_options. */
export const HTTP_PROTOCOL_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
