// Listener rows for the filter chains istioctl distinguishes: SNI, transport,
// Istio's ALPN sets, destination prefixes and ports, TCP and weighted clusters,
// inline routes, a default chain, and proxyless API listeners.
import { describe, expect, it } from 'vitest';
import { listenerRows } from '../../../cli/operator/listener-rows.ts';

const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TCP = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

const tcp = (config: Record<string, unknown>) => ({
  name: 'envoy.filters.network.tcp_proxy',
  typed_config: { '@type': TCP, ...config },
});
const listener = (name: string, address: string, port: number, rest: Record<string, unknown>) => ({
  name,
  status: 'ACTIVE' as const,
  resource: { name, address: { socket_address: { address, port_value: port } }, ...rest },
});

describe('listenerRows', () => {
  it('describes each chain match and destination as istioctl does', () => {
    const rows = listenerRows([
      listener('virtualInbound', '0.0.0.0', 15006, {
        filter_chains: [
          {
            filter_chain_match: {
              destination_port: { value: 9080 },
              transport_protocol: 'tls',
              application_protocols: ['istio-peer-exchange', 'istio'],
            },
            filters: [tcp({ cluster: 'inbound|9080||' })],
          },
          {
            filter_chain_match: {
              prefix_ranges: [{ address_prefix: '10.0.0.0', prefix_len: { value: 8 } }],
              destination_port: { value: 443 },
            },
            filters: [
              tcp({
                weighted_clusters: {
                  clusters: [
                    { name: 'a', weight: 80 },
                    { name: 'b', weight: 20 },
                  ],
                },
              }),
            ],
          },
          {
            filter_chain_match: { server_names: ['a.example.com', 'b.example.com'] },
            filters: [tcp({ cluster: 'BlackHoleCluster' })],
          },
        ],
        default_filter_chain: { filters: [tcp({ cluster: 'InboundPassthroughCluster' })] },
      }),
      listener('10.96.0.1_80', '10.96.0.1', 80, {
        filter_chains: [
          {
            filter_chain_match: { application_protocols: ['http/1.0', 'http/1.1', 'h2c'] },
            filters: [
              {
                name: 'envoy.filters.network.http_connection_manager',
                typed_config: {
                  '@type': HCM,
                  route_config: {
                    virtual_hosts: [
                      {
                        domains: ['*'],
                        routes: [
                          {
                            match: { prefix: '/' },
                            route: { cluster: 'outbound|80||web.default.svc.cluster.local' },
                          },
                        ],
                      },
                    ],
                  },
                },
              },
            ],
          },
        ],
      }),
      {
        name: 'reviews.default.svc.cluster.local:9080',
        status: 'ACTIVE',
        resource: {
          name: 'reviews.default.svc.cluster.local:9080',
          api_listener: {
            api_listener: {
              '@type': HCM,
              rds: { route_config_name: 'reviews.default.svc.cluster.local:9080' },
            },
          },
        },
      },
    ]);
    expect(rows).toEqual([
      ['10.96.0.1', '80', 'App: HTTP', 'Cluster: outbound|80||web.default.svc.cluster.local'],
      [
        'reviews.default.svc.cluster.local',
        '9080',
        'ALL',
        'Route: reviews.default.svc.cluster.local:9080',
      ],
      // A listener's chains by destination, descending (istioctl's order).
      ['0.0.0.0', '15006', 'Addr: 10.0.0.0/8:443', 'WeightedClusters: a(80),b(20)'],
      ['0.0.0.0', '15006', 'SNI: a.example.com,b.example.com', 'Non-HTTP/Non-TCP'],
      ['0.0.0.0', '15006', 'ALL', 'InboundPassthroughCluster'],
      ['0.0.0.0', '15006', 'Trans: tls; App: TCP TLS; Addr: *:9080', 'Cluster: inbound|9080||'],
    ]);
  });
});
