import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import type { OriginalDestination } from '../../../../sidecar/proxy/runtime.ts';
import { httpBackend, send, type Backend } from '../support/backends.ts';
import { HCM, ROUTER, startProxy, staticCluster, TCP_PROXY, TypeUrl } from '../support/envoy.ts';

type Obj = Record<string, unknown>;

const hcmFilter = (stat: string, cluster: string, tag: string): Obj => ({
  name: 'envoy.filters.network.http_connection_manager',
  typed_config: {
    '@type': HCM,
    stat_prefix: stat,
    http_filters: [ROUTER],
    route_config: {
      name: stat,
      virtual_hosts: [
        {
          name: 'v',
          domains: ['*'],
          routes: [
            {
              match: { prefix: '/' },
              route: { cluster },
              request_headers_to_add: [{ header: { key: 'x-via-listener', value: tag } }],
            },
          ],
        },
      ],
    },
  },
});
const tcpFilter = (cluster: string): Obj => ({
  name: 'envoy.filters.network.tcp_proxy',
  typed_config: { '@type': TCP_PROXY, stat_prefix: cluster, cluster },
});

describe('listeners: original destination hand-off and filter chain match', () => {
  let a: Backend;
  let b: Backend;
  let dp: ProxyDataPlane;
  let port: (l?: string) => number;
  /** What the capture addon would report, keyed by the listener port the client connected to. */
  const redirected = new Map<number, OriginalDestination>();

  beforeAll(async () => {
    a = await httpBackend('a');
    b = await httpBackend('b');
    const p = await startProxy(
      {
        clusters: [
          staticCluster('a', [['127.0.0.1', a.port]]),
          {
            '@type': TypeUrl.Cluster,
            name: 'PassthroughCluster',
            type: 'ORIGINAL_DST',
            lb_policy: 'CLUSTER_PROVIDED',
            connect_timeout: '1s',
          },
        ],
        listeners: [
          {
            '@type': TypeUrl.Listener,
            name: 'virtualOutbound',
            address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
            use_original_dst: { value: true },
            filter_chains: [{ name: 'passthrough', filters: [tcpFilter('PassthroughCluster')] }],
          },
          {
            '@type': TypeUrl.Listener,
            name: '0.0.0.0_7777',
            address: { socket_address: { address: '0.0.0.0', port_value: 7777 } },
            bind_to_port: { value: false },
            filter_chains: [{ filters: [hcmFilter('out7777', 'a', 'outbound-7777')] }],
          },
          {
            '@type': TypeUrl.Listener,
            name: 'virtualInbound',
            address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
            listener_filters: [
              {
                name: 'envoy.filters.listener.original_dst',
                typed_config: {
                  '@type':
                    'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
                },
              },
            ],
            filter_chains: [
              {
                name: 'inbound|8080',
                filter_chain_match: { destination_port: { value: 8080 } },
                filters: [hcmFilter('in8080', 'a', 'inbound-8080')],
              },
              {
                name: 'inbound|9090-http',
                filter_chain_match: {
                  destination_port: { value: 9090 },
                  application_protocols: ['http/1.1', 'h2c'],
                },
                filters: [hcmFilter('in9090', 'a', 'inbound-9090-http')],
              },
              {
                name: 'inbound|9090-tcp',
                filter_chain_match: { destination_port: { value: 9090 } },
                filters: [tcpFilter('PassthroughCluster')],
              },
            ],
            default_filter_chain: {
              name: 'passthrough',
              filters: [tcpFilter('PassthroughCluster')],
            },
          },
        ],
      },
      { originalDestination: (s: net.Socket) => redirected.get(s.localPort ?? 0) },
    );
    dp = p.dp;
    port = p.port;
  });
  afterAll(async () => {
    dp?.close();
    await a.close();
    await b.close();
  });

  it('does not bind a listener with bind_to_port false', () => {
    expect(dp.listenerAddress('0.0.0.0_7777')).toBeUndefined();
    expect(
      dp
        .listeners()
        .map((l) => l.name)
        .sort(),
    ).toEqual(['virtualInbound', 'virtualOutbound']);
  });

  it('hands a redirected connection to the listener of its original destination', async () => {
    redirected.set(port('virtualOutbound'), { address: '10.9.8.7', port: 7777 });
    const r = await send(`http://127.0.0.1:${port('virtualOutbound')}/x`, { fresh: true });
    expect(r.json().backend).toBe('a');
    expect(r.json<{ headers: Obj }>().headers['x-via-listener']).toBe('outbound-7777');
  });

  it('passes a connection with no matching listener through to its original destination', async () => {
    redirected.set(port('virtualOutbound'), { address: '127.0.0.1', port: b.port });
    const r = await send(`http://127.0.0.1:${port('virtualOutbound')}/y`, { fresh: true });
    expect(r.json().backend).toBe('b');
  });

  it('selects the inbound chain by original destination port and sniffed protocol', async () => {
    const inbound = port('virtualInbound');
    redirected.set(inbound, { address: '127.0.0.1', port: 8080 });
    expect(
      (await send(`http://127.0.0.1:${inbound}/`, { fresh: true })).json<{ headers: Obj }>()
        .headers['x-via-listener'],
    ).toBe('inbound-8080');
    redirected.set(inbound, { address: '127.0.0.1', port: 9090 });
    expect(
      (await send(`http://127.0.0.1:${inbound}/`, { fresh: true })).json<{ headers: Obj }>()
        .headers['x-via-listener'],
    ).toBe('inbound-9090-http');
    // Unmatched port: the default chain passes through to the original destination.
    redirected.set(inbound, { address: '127.0.0.1', port: b.port });
    expect((await send(`http://127.0.0.1:${inbound}/`, { fresh: true })).json().backend).toBe('b');
  });
});
