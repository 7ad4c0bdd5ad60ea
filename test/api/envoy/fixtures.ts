// Realistic resources as Istio's pilot generates them (bookinfo reviews on
// port 9080), written in canonical object form so they round-trip exactly.

import { TypeName, TypeUrl, typeUrlOf } from '../../../api/envoy/registry.ts';
import type { EnvoyResource } from '../../../api/envoy/registry.ts';

const V1 = 'outbound|9080|v1|reviews.default.svc.cluster.local';
const V2 = 'outbound|9080|v2|reviews.default.svc.cluster.local';
const V3 = 'outbound|9080|v3|reviews.default.svc.cluster.local';

const adsSource = { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' };

const sdsSource = {
  api_config_source: {
    api_type: 'GRPC',
    set_node_on_first_message_only: true,
    transport_api_version: 'V3',
    grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }],
  },
  initial_fetch_timeout: '0s',
  resource_api_version: 'V3',
};

export function outboundListener(): EnvoyResource {
  return {
    '@type': TypeUrl.Listener,
    name: '0.0.0.0_9080',
    address: { socket_address: { address: '0.0.0.0', port_value: 9080 } },
    traffic_direction: 'OUTBOUND',
    bind_to_port: { value: false },
    listener_filters: [
      {
        name: 'envoy.filters.listener.tls_inspector',
        typed_config: { '@type': typeUrlOf(TypeName.TlsInspector) },
      },
      {
        name: 'envoy.filters.listener.http_inspector',
        typed_config: { '@type': typeUrlOf(TypeName.HttpInspector) },
      },
    ],
    listener_filters_timeout: '0s',
    continue_on_listener_filters_timeout: true,
    filter_chains: [
      {
        filter_chain_match: {
          transport_protocol: 'raw_buffer',
          application_protocols: ['http/1.1', 'h2c'],
        },
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': typeUrlOf(TypeName.HttpConnectionManager),
              stat_prefix: 'outbound_0.0.0.0_9080',
              rds: { config_source: adsSource, route_config_name: '9080' },
              http_filters: [
                {
                  name: 'envoy.filters.http.fault',
                  typed_config: { '@type': typeUrlOf(TypeName.Fault) },
                },
                {
                  name: 'envoy.filters.http.cors',
                  typed_config: { '@type': typeUrlOf(TypeName.Cors) },
                },
                {
                  name: 'envoy.filters.http.router',
                  typed_config: {
                    '@type': typeUrlOf(TypeName.Router),
                    suppress_envoy_headers: true,
                  },
                },
              ],
              tracing: {
                client_sampling: { value: 100 },
                random_sampling: { value: 1 },
                overall_sampling: { value: 100 },
              },
              use_remote_address: { value: false },
              stream_idle_timeout: '0s',
              access_log: [
                {
                  name: 'envoy.access_loggers.file',
                  typed_config: {
                    '@type': typeUrlOf(TypeName.FileAccessLog),
                    path: '/dev/stdout',
                    log_format: {
                      text_format_source: {
                        inline_string:
                          '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%"\n',
                      },
                    },
                  },
                },
              ],
              upgrade_configs: [{ upgrade_type: 'websocket' }],
              forward_client_cert_details: 'APPEND_FORWARD',
              set_current_client_cert_details: { subject: { value: true }, dns: true, uri: true },
              server_name: 'istio-envoy',
              normalize_path: { value: true },
              path_with_escaped_slashes_action: 'KEEP_UNCHANGED',
              common_http_protocol_options: { idle_timeout: '3600s' },
            },
          },
        ],
      },
    ],
  };
}

export function edsCluster(): EnvoyResource {
  return {
    '@type': TypeUrl.Cluster,
    name: V1,
    type: 'EDS',
    eds_cluster_config: { eds_config: adsSource, service_name: V1 },
    connect_timeout: '10s',
    lb_policy: 'LEAST_REQUEST',
    least_request_lb_config: { choice_count: { value: 2 } },
    circuit_breakers: {
      thresholds: [
        {
          max_connections: { value: 4294967295 },
          max_pending_requests: { value: 4294967295 },
          max_requests: { value: 4294967295 },
          max_retries: { value: 4294967295 },
          track_remaining: true,
        },
      ],
    },
    outlier_detection: {
      consecutive_5xx: { value: 5 },
      interval: '10s',
      base_ejection_time: '30s',
      max_ejection_percent: { value: 100 },
      enforcing_consecutive_5xx: { value: 100 },
    },
    common_lb_config: { locality_weighted_lb_config: {} },
    metadata: {
      filter_metadata: {
        istio: {
          services: [
            { host: 'reviews.default.svc.cluster.local', name: 'reviews', namespace: 'default' },
          ],
          subset: 'v1',
          default_original_port: 9080,
        },
      },
    },
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': typeUrlOf(TypeName.HttpProtocolOptions),
        common_http_protocol_options: {
          idle_timeout: '3600s',
          max_requests_per_connection: { value: 1024 },
        },
        use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} },
      },
    },
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': typeUrlOf(TypeName.UpstreamTlsContext),
        common_tls_context: {
          tls_certificate_sds_secret_configs: [{ name: 'default', sds_config: sdsSource }],
          combined_validation_context: {
            default_validation_context: {
              match_typed_subject_alt_names: [
                {
                  san_type: 'URI',
                  matcher: { exact: 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews' },
                },
              ],
            },
            validation_context_sds_secret_config: { name: 'ROOTCA', sds_config: sdsSource },
          },
          alpn_protocols: ['istio-peer-exchange', 'istio'],
        },
        sni: 'outbound_.9080_.v1_.reviews.default.svc.cluster.local',
      },
    },
  };
}

/** A STRICT_DNS cluster with inline endpoints and a typed ring-hash LB policy (UInt64Value inside). */
export function dnsCluster(): EnvoyResource {
  return {
    '@type': TypeUrl.Cluster,
    name: 'outbound|443||api.example.com',
    type: 'STRICT_DNS',
    connect_timeout: '0.250s',
    dns_lookup_family: 'V4_ONLY',
    dns_refresh_rate: '60s',
    respect_dns_ttl: true,
    load_assignment: {
      cluster_name: 'outbound|443||api.example.com',
      endpoints: [
        {
          lb_endpoints: [
            {
              endpoint: {
                address: { socket_address: { address: 'api.example.com', port_value: 443 } },
              },
            },
          ],
        },
      ],
    },
    load_balancing_policy: {
      policies: [
        {
          typed_extension_config: {
            name: 'envoy.load_balancing_policies.ring_hash',
            typed_config: {
              '@type': typeUrlOf(TypeName.RingHash),
              hash_function: 'MURMUR_HASH_2',
              minimum_ring_size: { value: 1024 },
              maximum_ring_size: { value: 8388608 },
            },
          },
        },
      ],
    },
  };
}

export function routeConfiguration(): EnvoyResource {
  return {
    '@type': TypeUrl.RouteConfiguration,
    name: '9080',
    validate_clusters: { value: false },
    virtual_hosts: [
      {
        name: 'reviews.default.svc.cluster.local:9080',
        domains: ['reviews.default.svc.cluster.local', 'reviews', 'reviews.default', '10.96.0.10'],
        routes: [
          {
            name: 'jason',
            match: {
              prefix: '/',
              headers: [{ name: 'end-user', string_match: { exact: 'jason' } }],
            },
            route: {
              cluster: V2,
              timeout: '0s',
              max_grpc_timeout: '0s',
              retry_policy: {
                retry_on:
                  'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
                num_retries: { value: 2 },
                retry_host_predicate: [
                  {
                    name: 'envoy.retry_host_predicates.previous_hosts',
                    typed_config: {
                      '@type':
                        'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
                    },
                  },
                ],
                host_selection_retry_max_attempts: 5,
              },
            },
            decorator: { operation: 'reviews.default.svc.cluster.local:9080/*' },
          },
          {
            name: 'split',
            match: { safe_regex: { regex: '^/api/v[0-9]+/.*' } },
            route: {
              weighted_clusters: {
                clusters: [
                  { name: V1, weight: { value: 90 } },
                  { name: V3, weight: { value: 10 } },
                ],
              },
              timeout: '1.500s',
            },
            typed_per_filter_config: {
              'envoy.filters.http.fault': {
                '@type': typeUrlOf(TypeName.Fault),
                delay: {
                  fixed_delay: '5s',
                  percentage: { numerator: 1000, denominator: 'TEN_THOUSAND' },
                },
                abort: { http_status: 503, percentage: { numerator: 5 } },
              },
            },
            request_headers_to_add: [
              {
                header: { key: 'x-petrel', value: 'split' },
                append_action: 'OVERWRITE_IF_EXISTS_OR_ADD',
              },
            ],
          },
          {
            name: 'moved',
            match: { path: '/old' },
            redirect: { path_redirect: '/new', response_code: 'PERMANENT_REDIRECT' },
          },
          {
            name: 'ping',
            match: { prefix: '/ping' },
            direct_response: { status: 200, body: { inline_string: 'pong' } },
          },
        ],
        typed_per_filter_config: {
          'envoy.filters.http.cors': {
            '@type': typeUrlOf(TypeName.CorsPolicy),
            allow_origin_string_match: [{ exact: 'https://example.com' }],
            allow_methods: 'GET,POST',
            max_age: '86400',
            allow_credentials: { value: true },
          },
        },
        include_request_attempt_count: true,
      },
      {
        name: 'allow_any',
        domains: ['*'],
        routes: [
          {
            name: 'allow_any',
            match: { prefix: '/' },
            route: { cluster: 'PassthroughCluster', timeout: '0s', max_grpc_timeout: '0s' },
          },
        ],
      },
    ],
  };
}

export function loadAssignment(): EnvoyResource {
  return {
    '@type': TypeUrl.ClusterLoadAssignment,
    cluster_name: V1,
    endpoints: [
      {
        locality: { region: 'us-east1', zone: 'us-east1-b' },
        lb_endpoints: [
          {
            endpoint: { address: { socket_address: { address: '10.244.0.12', port_value: 9080 } } },
            health_status: 'HEALTHY',
            metadata: {
              filter_metadata: {
                'envoy.transport_socket_match': { tlsMode: 'istio' },
                istio: { workload: 'reviews-v1;default;reviews;v1;Kubernetes' },
              },
            },
            load_balancing_weight: { value: 1 },
          },
        ],
        load_balancing_weight: { value: 1 },
      },
      {
        locality: { region: 'us-west1' },
        priority: 1,
        lb_endpoints: [
          {
            endpoint: { address: { socket_address: { address: '10.244.1.7', port_value: 9080 } } },
            health_status: 'DRAINING',
          },
        ],
      },
    ],
    policy: { overprovisioning_factor: { value: 140 } },
  };
}

export function tlsSecret(): EnvoyResource {
  return {
    '@type': TypeUrl.Secret,
    name: 'default',
    tls_certificate: {
      certificate_chain: {
        inline_bytes: Buffer.from(
          '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
        ).toString('base64'),
      },
      private_key: {
        inline_bytes: Buffer.from(
          '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n',
        ).toString('base64'),
      },
    },
  };
}
