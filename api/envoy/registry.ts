// The Envoy proto registry: type URLs, strict encoding of Petrel's object form
// into protobuf bytes, decoding back, and validation the way Envoy validates
// on load (structure + protoc-gen-validate rules).
//
// Object form (what encodeResource takes and decodeAny returns):
//   - field names exactly as in the .proto (snake_case); a camelCase key is an
//     unknown field;
//   - enums by name (decoding gives a number only for a value the proto does
//     not define);
//   - google.protobuf.Any inline: `{ '@type': 'type.googleapis.com/<name>', ...fields }`;
//     a well-known type inside an Any as `{ '@type', value }` (proto3 JSON);
//     an Any of a type the registry lacks as `{ '@type', '@value': base64 }`;
//   - Duration "1s" / "0.250s", Timestamp RFC 3339, Struct/Value/ListValue as
//     plain JSON; wrappers (UInt32Value, BoolValue, …), FieldMask and Empty as
//     ordinary messages (`{ value: 5 }`);
//   - bytes as base64 strings (a Uint8Array is accepted when encoding);
//   - 64-bit integers as numbers when exactly representable, else as decimal
//     strings (both accepted when encoding).
//   - undefined and null fields mean "not set" (null is JSON null in a Value).
//
// Normalisation, i.e. where decodeAny(encodeResource(x)) differs from x:
//   - fields with implicit presence that hold their default ('' / 0 / false /
//     first enum value / empty list or map) disappear, as on the wire;
//   - an empty wrapper `{}` comes back as `{ value: <default> }`;
//   - Durations and Timestamps come back canonical: "1.5s" → "1.500s",
//     "0.1s" → "0.100s", offsets → "Z";
//   - 64-bit integers given as safe-range strings come back as numbers;
//     bytes come back as base64; float (32-bit) fields come back as the
//     shortest decimal of the float32 value.
// Objects written canonically round-trip exactly; normalizeResource gives the
// canonical form of any valid object.

import { EnvoyProtoError } from './errors.ts';
import { packResource } from './encode.ts';
import { unpackInlineAny } from './decode.ts';
import { envoyRoot, findType, lookupType } from './root.ts';
import { checkRules } from './validate-rules.ts';
import type { EnvoyResource, PackedAny } from './types.ts';

export { envoyRoot, findType, lookupType, lookupEnum } from './root.ts';
export { adsServiceDefinition, loadAdsPackage, ServiceName } from './services.ts';
export type { XdsPackage } from './services.ts';
export { EnvoyProtoError } from './errors.ts';
export type { EnvoyProtoErrorCode } from './errors.ts';
export type { EnvoyResource, PackedAny } from './types.ts';
export { durationFromMillis, formatDuration, parseDuration } from './well-known.ts';
export { checkRules } from './validate-rules.ts';
export { structForLoader, structFromLoader } from './loader-struct.ts';

export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** `type.googleapis.com/<fullName>`. */
export function typeUrlOf(fullName: string): string {
  return `${TYPE_URL_PREFIX}${fullName.startsWith('.') ? fullName.slice(1) : fullName}`;
}

/** Full names of the message types Petrel generates or nests inside typed_config. */
export const TypeName = {
  Listener: 'envoy.config.listener.v3.Listener',
  RouteConfiguration: 'envoy.config.route.v3.RouteConfiguration',
  ScopedRouteConfiguration: 'envoy.config.route.v3.ScopedRouteConfiguration',
  VirtualHost: 'envoy.config.route.v3.VirtualHost',
  Cluster: 'envoy.config.cluster.v3.Cluster',
  ClusterLoadAssignment: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
  Secret: 'envoy.extensions.transport_sockets.tls.v3.Secret',
  TypedExtensionConfig: 'envoy.config.core.v3.TypedExtensionConfig',
  Runtime: 'envoy.service.runtime.v3.Runtime',
  // Network and listener filters.
  HttpConnectionManager:
    'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  TcpProxy: 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  NetworkRbac: 'envoy.extensions.filters.network.rbac.v3.RBAC',
  NetworkLocalRateLimit: 'envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit',
  TlsInspector: 'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  HttpInspector: 'envoy.extensions.filters.listener.http_inspector.v3.HttpInspector',
  OriginalDst: 'envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
  // HTTP filters and their per-route configs.
  Router: 'envoy.extensions.filters.http.router.v3.Router',
  Fault: 'envoy.extensions.filters.http.fault.v3.HTTPFault',
  Cors: 'envoy.extensions.filters.http.cors.v3.Cors',
  CorsPolicy: 'envoy.extensions.filters.http.cors.v3.CorsPolicy',
  Rbac: 'envoy.extensions.filters.http.rbac.v3.RBAC',
  RbacPerRoute: 'envoy.extensions.filters.http.rbac.v3.RBACPerRoute',
  LocalRateLimit: 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
  JwtAuthentication: 'envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication',
  GrpcWeb: 'envoy.extensions.filters.http.grpc_web.v3.GrpcWeb',
  GrpcStats: 'envoy.extensions.filters.http.grpc_stats.v3.FilterConfig',
  // Access loggers.
  FileAccessLog: 'envoy.extensions.access_loggers.file.v3.FileAccessLog',
  StdoutAccessLog: 'envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
  StderrAccessLog: 'envoy.extensions.access_loggers.stream.v3.StderrAccessLog',
  // Transport sockets and upstream options.
  UpstreamTlsContext: 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  DownstreamTlsContext: 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  RawBuffer: 'envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer',
  HttpProtocolOptions: 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  // Load-balancing policies (Cluster.load_balancing_policy).
  RoundRobin: 'envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin',
  LeastRequest: 'envoy.extensions.load_balancing_policies.least_request.v3.LeastRequest',
  RingHash: 'envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash',
  Maglev: 'envoy.extensions.load_balancing_policies.maglev.v3.Maglev',
  WrrLocality: 'envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality',
  ClientSideWeightedRoundRobin:
    'envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin',
  // Opaque extension config.
  TypedStruct: 'xds.type.v3.TypedStruct',
  UdpaTypedStruct: 'udpa.type.v1.TypedStruct',
  // The discovery protocol itself.
  DiscoveryRequest: 'envoy.service.discovery.v3.DiscoveryRequest',
  DiscoveryResponse: 'envoy.service.discovery.v3.DiscoveryResponse',
  DeltaDiscoveryRequest: 'envoy.service.discovery.v3.DeltaDiscoveryRequest',
  DeltaDiscoveryResponse: 'envoy.service.discovery.v3.DeltaDiscoveryResponse',
} as const;

/** Type URLs of the xDS resource types. */
export const TypeUrl = {
  Listener: typeUrlOf(TypeName.Listener),
  RouteConfiguration: typeUrlOf(TypeName.RouteConfiguration),
  ScopedRouteConfiguration: typeUrlOf(TypeName.ScopedRouteConfiguration),
  VirtualHost: typeUrlOf(TypeName.VirtualHost),
  Cluster: typeUrlOf(TypeName.Cluster),
  ClusterLoadAssignment: typeUrlOf(TypeName.ClusterLoadAssignment),
  Secret: typeUrlOf(TypeName.Secret),
  TypedExtensionConfig: typeUrlOf(TypeName.TypedExtensionConfig),
  Runtime: typeUrlOf(TypeName.Runtime),
} as const;

/**
 * Packs a resource (its '@type' names the message) into an Any. Throws
 * PETREL_ENVOY_ENCODE listing every unknown field, wrong type or bad enum name
 * with its path, e.g. `Cluster.load_assignment.endpoints[0]: unknown field "foo"`.
 */
export function encodeResource(resource: EnvoyResource): PackedAny & { value: Buffer } {
  const { packed, problems } = packResource(resource);
  if (!packed) throw new EnvoyProtoError('PETREL_ENVOY_ENCODE', problems);
  return {
    type_url: packed.type_url,
    value: Buffer.from(packed.value.buffer, packed.value.byteOffset, packed.value.byteLength),
  };
}

/**
 * Opens a packed Any into object form. Throws PETREL_ENVOY_UNKNOWN_TYPE when
 * the registry lacks the type and PETREL_ENVOY_DECODE when the bytes are bad.
 */
export function decodeAny(any: PackedAny): EnvoyResource {
  const type = findType(any.type_url);
  if (!type)
    throw new EnvoyProtoError('PETREL_ENVOY_UNKNOWN_TYPE', `unknown type "${any.type_url}"`);
  return unpackInlineAny(any.type_url, any.value, type.name) as EnvoyResource;
}

/** decodeAny for a resource's bytes and its type URL (or full type name). */
export function decodeResource(typeUrl: string, bytes: Uint8Array): EnvoyResource {
  return decodeAny({
    type_url: typeUrl.includes('/') ? typeUrl : typeUrlOf(typeUrl),
    value: bytes,
  });
}

/** The canonical object form of a resource (encode, then decode). */
export function normalizeResource(resource: EnvoyResource): EnvoyResource {
  return decodeAny(encodeResource(resource));
}

/**
 * Everything Envoy would reject on load, one line per problem, with full field
 * paths: structural problems (unknown fields, wrong types, bad enum names,
 * unknown Any types) and, if the structure is sound, every violated
 * protoc-gen-validate rule, through nested messages and inline Anys.
 * Empty means valid.
 */
export function validateResource(resource: EnvoyResource): string[] {
  const { packed, problems } = packResource(resource);
  if (!packed) return problems;
  const canonical = unpackInlineAny(
    packed.type_url,
    packed.value,
    lookupType(packed.type_url).name,
  );
  return checkRules(canonical as EnvoyResource);
}

/** Loads the protos now (they load on first use otherwise); returns how many message types. */
export function preloadRegistry(): number {
  let count = 0;
  const walk = (ns: { nestedArray: unknown[] }): void => {
    for (const child of ns.nestedArray) {
      if ((child as { fieldsArray?: unknown }).fieldsArray) count++;
      if ((child as { nestedArray?: unknown[] }).nestedArray)
        walk(child as { nestedArray: unknown[] });
    }
  };
  walk(envoyRoot());
  return count;
}
