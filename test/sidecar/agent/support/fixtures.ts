// Envoy resources in Petrel's object form, named as Istio names them.
import { TypeUrl } from '../../../../api/envoy/registry.ts';
import type { EnvoyResource } from '../../../../api/envoy/registry.ts';

const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const UPSTREAM_TLS =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

export const outbound = (port: number, host: string, subset = '') =>
  `outbound|${port}|${subset}|${host}`;

export function edsCluster(
  name: string,
  options: { initialFetchTimeout?: string; sdsSecret?: string; serviceName?: string } = {},
): EnvoyResource {
  const cluster: EnvoyResource = {
    '@type': TypeUrl.Cluster,
    name,
    type: 'EDS',
    connect_timeout: '10s',
    eds_cluster_config: {
      service_name: options.serviceName ?? name,
      eds_config: {
        ads: {},
        resource_api_version: 'V3',
        initial_fetch_timeout: options.initialFetchTimeout ?? '0s',
      },
    },
  };
  if (options.sdsSecret) {
    cluster.transport_socket = {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': UPSTREAM_TLS,
        common_tls_context: {
          tls_certificate_sds_secret_configs: [
            { name: options.sdsSecret, sds_config: { ads: {}, resource_api_version: 'V3' } },
          ],
        },
      },
    };
  }
  return cluster;
}

export function staticCluster(name: string, ip: string, port: number): EnvoyResource {
  return {
    '@type': TypeUrl.Cluster,
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: {
      cluster_name: name,
      endpoints: [
        {
          lb_endpoints: [
            { endpoint: { address: { socket_address: { address: ip, port_value: port } } } },
          ],
        },
      ],
    },
  };
}

export function assignment(
  clusterName: string,
  ips: string[],
  port: number,
  health?: string,
): EnvoyResource {
  return {
    '@type': TypeUrl.ClusterLoadAssignment,
    cluster_name: clusterName,
    endpoints: [
      {
        locality: { region: 'r1', zone: 'z1' },
        lb_endpoints: ips.map((ip) => ({
          endpoint: { address: { socket_address: { address: ip, port_value: port } } },
          ...(health ? { health_status: health } : {}),
          load_balancing_weight: { value: 1 },
        })),
      },
    ],
  };
}

export function httpListener(
  port: number,
  routeName: string,
  initialFetchTimeout = '0s',
): EnvoyResource {
  return {
    '@type': TypeUrl.Listener,
    name: `0.0.0.0_${port}`,
    address: { socket_address: { address: '0.0.0.0', port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM,
              stat_prefix: `outbound_0.0.0.0_${port}`,
              rds: {
                route_config_name: routeName,
                config_source: {
                  ads: {},
                  resource_api_version: 'V3',
                  initial_fetch_timeout: initialFetchTimeout,
                },
              },
              http_filters: [
                { name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } },
              ],
            },
          },
        ],
      },
    ],
  };
}

export function routeConfig(name: string, cluster: string): EnvoyResource {
  return {
    '@type': TypeUrl.RouteConfiguration,
    name,
    virtual_hosts: [
      { name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] },
    ],
  };
}

export function secret(name: string): EnvoyResource {
  return {
    '@type': TypeUrl.Secret,
    name,
    tls_certificate: {
      certificate_chain: {
        inline_string: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
      },
      private_key: {
        inline_string: '-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n',
      },
    },
  };
}
