// The client side of mesh mTLS: a client data path sends to a server data path over
// ISTIO_MUTUAL (certificate `default`, ROOTCA, SPIFFE SAN check), picks TLS or
// plaintext per endpoint with Istio's tlsMode transport_socket_matches, speaks
// HTTP/2 over TLS, and refuses a server whose identity is not the expected one.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import type { RequestRecord } from '../../../../sidecar/proxy/record.ts';
import { clientSessions } from '../../../../sidecar/proxy/tls/session-cache.ts';
import type { EnvoyResource } from '../../../../sidecar/types.ts';
import { httpBackend, send, type Backend } from '../support/backends.ts';
import {
  apply,
  HCM,
  HTTP2_OPTIONS,
  ROUTER,
  startProxy,
  staticCluster,
  TCP_PROXY,
  TypeUrl,
} from '../support/envoy.ts';
import {
  identitySecrets,
  mtlsClientSocket,
  mtlsServerSocket,
  testCa,
  type TestCa,
} from './support/certs.ts';

type Obj = Record<string, unknown>;

const SERVER_ID = 'spiffe://cluster.local/ns/default/sa/server';
const CLIENT_ID = 'spiffe://cluster.local/ns/default/sa/client';

const hcm = (cluster: string): Obj => ({
  name: 'envoy.filters.network.http_connection_manager',
  typed_config: {
    '@type': HCM,
    stat_prefix: cluster,
    http_filters: [ROUTER],
    route_config: {
      name: cluster,
      virtual_hosts: [
        { name: cluster, domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] },
      ],
    },
  },
});
const tcp = (cluster: string): Obj => ({
  name: 'envoy.filters.network.tcp_proxy',
  typed_config: { '@type': TCP_PROXY, stat_prefix: cluster, cluster },
});

function listener(name: string, direction: string, chains: Obj[]): EnvoyResource {
  return {
    '@type': TypeUrl.Listener,
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    traffic_direction: direction,
    filter_chains: chains,
  };
}

/** Istio's auto-mTLS pair of transport_socket_matches. */
function autoMtls(sans: string[]): Obj {
  return {
    transport_socket_matches: [
      {
        name: 'tlsMode-istio',
        match: { tlsMode: 'istio' },
        transport_socket: mtlsClientSocket({ sans }),
      },
      {
        name: 'tlsMode-disabled',
        match: {},
        transport_socket: {
          name: 'envoy.transport_sockets.raw_buffer',
          typed_config: {
            '@type':
              'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer',
          },
        },
      },
    ],
  };
}

function endpointWithTlsMode(port: number, tlsMode: string | undefined): Obj {
  return {
    endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } },
    ...(tlsMode
      ? { metadata: { filter_metadata: { 'envoy.transport_socket_match': { tlsMode } } } }
      : {}),
  };
}

describe('upstream TLS from one data path to another', () => {
  let ca: TestCa;
  let backend: Backend;
  let echo: net.Server;
  let serverDp: ProxyDataPlane;
  let clientDp: ProxyDataPlane;
  let clientPort: (l?: string) => number;
  let serverPort: (l?: string) => number;
  const serverRecords: RequestRecord[] = [];
  const clientRecords: RequestRecord[] = [];

  beforeAll(async () => {
    ca = await testCa();
    backend = await httpBackend('app');
    echo = net.createServer((s) =>
      s.on('data', (d: Buffer) => s.write(`echo:${d.toString()}`)).on('error', () => {}),
    );
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const echoPort = (echo.address() as net.AddressInfo).port;
    const server = await startProxy(
      {
        clusters: [
          staticCluster('app', [['127.0.0.1', backend.port]]),
          staticCluster('echo', [['127.0.0.1', echoPort]]),
        ],
        listeners: [
          listener('inbound-http', 'INBOUND', [
            {
              filter_chain_match: { transport_protocol: 'tls' },
              transport_socket: mtlsServerSocket(),
              filters: [hcm('app')],
            },
            { filter_chain_match: { transport_protocol: 'raw_buffer' }, filters: [hcm('app')] },
          ]),
          listener('inbound-tcp', 'INBOUND', [
            {
              filter_chain_match: { transport_protocol: 'tls' },
              transport_socket: mtlsServerSocket({
                alpn: ['istio-peer-exchange', 'h2', 'http/1.1'],
              }),
              filters: [tcp('echo')],
            },
          ]),
        ],
      },
      { onRequestComplete: (r) => serverRecords.push(r) },
    );
    serverDp = server.dp;
    serverPort = server.port;
    expect(
      await apply(
        serverDp,
        TypeUrl.Secret,
        identitySecrets(await ca.workload('default', 'server')),
      ),
    ).toEqual([]);
    const httpPort = server.port('inbound-http');
    const tcpPort = server.port('inbound-tcp');
    const mtls = { transport_socket: mtlsClientSocket({ sans: [SERVER_ID] }) };
    const client = await startProxy(
      {
        clusters: [
          staticCluster('mesh', [['127.0.0.1', httpPort]], mtls),
          staticCluster('wrong-identity', [['127.0.0.1', httpPort]], {
            transport_socket: mtlsClientSocket({
              sans: ['spiffe://cluster.local/ns/default/sa/someone-else'],
            }),
          }),
          staticCluster('mesh-h2', [['127.0.0.1', httpPort]], {
            transport_socket: mtlsClientSocket({
              sans: [SERVER_ID],
              alpn: ['istio-peer-exchange', 'istio', 'h2'],
            }),
            ...HTTP2_OPTIONS,
          }),
          {
            ...staticCluster('auto-sidecar', [], autoMtls([SERVER_ID])),
            load_assignment: {
              cluster_name: 'auto-sidecar',
              endpoints: [{ lb_endpoints: [endpointWithTlsMode(httpPort, 'istio')] }],
            },
          },
          {
            ...staticCluster('auto-plain', [], autoMtls([SERVER_ID])),
            load_assignment: {
              cluster_name: 'auto-plain',
              endpoints: [{ lb_endpoints: [endpointWithTlsMode(backend.port, undefined)] }],
            },
          },
          staticCluster('mesh-tcp', [['127.0.0.1', tcpPort]], mtls),
        ],
        listeners: ['mesh', 'wrong-identity', 'mesh-h2', 'auto-sidecar', 'auto-plain']
          .map((c) => listener(c, 'OUTBOUND', [{ filters: [hcm(c)] }]))
          .concat([listener('mesh-tcp', 'OUTBOUND', [{ filters: [tcp('mesh-tcp')] }])]),
      },
      { onRequestComplete: (r) => clientRecords.push(r) },
    );
    clientDp = client.dp;
    clientPort = client.port;
    expect(
      await apply(
        clientDp,
        TypeUrl.Secret,
        identitySecrets(await ca.workload('default', 'client')),
      ),
    ).toEqual([]);
  });

  afterAll(async () => {
    clientDp?.close();
    serverDp?.close();
    await backend?.close();
    echo?.close();
    ca?.close();
  });

  const get = (listenerName: string) =>
    send(`http://127.0.0.1:${clientPort(listenerName)}/`, { fresh: true });

  it('ISTIO_MUTUAL: the server sees the client identity, each side records both principals', async () => {
    serverRecords.length = clientRecords.length = 0;
    expect((await get('mesh')).status).toBe(200);
    expect(serverRecords.at(-1)).toMatchObject({
      direction: 'inbound',
      peerPrincipal: CLIENT_ID,
      localPrincipal: SERVER_ID,
    });
    expect(clientRecords.at(-1)).toMatchObject({
      direction: 'outbound',
      peerPrincipal: SERVER_ID,
      localPrincipal: CLIENT_ID,
    });
  });

  it('refuses a server whose SPIFFE identity is not the expected one (503, UF)', async () => {
    clientRecords.length = 0;
    const r = await get('wrong-identity');
    expect(r.status).toBe(503);
    expect(clientRecords.at(-1)!.flags).toContain('UF');
  });

  it('transport_socket_matches: mTLS to a tlsMode=istio endpoint, plaintext to the others', async () => {
    serverRecords.length = 0;
    expect((await get('auto-sidecar')).status).toBe(200);
    expect(serverRecords.at(-1)).toMatchObject({ peerPrincipal: CLIENT_ID });
    const plainBefore = backend.seen.length;
    expect((await get('auto-plain')).status).toBe(200);
    expect(backend.seen.length).toBe(plainBefore + 1);
  });

  it('speaks HTTP/2 over TLS when the cluster is HTTP/2', async () => {
    serverRecords.length = 0;
    expect((await get('mesh-h2')).status).toBe(200);
    expect(serverRecords.at(-1)).toMatchObject({ protocol: 'HTTP/2', peerPrincipal: CLIENT_ID });
  });

  const tcpEcho = (text: string): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      const s = net.connect(clientPort('mesh-tcp'), '127.0.0.1', () => s.write(text));
      s.once('data', (d: Buffer) => {
        resolve(d.toString());
        s.destroy();
      });
      s.on('error', reject);
    });

  it('TCP proxying over mTLS', async () => {
    const reply = await tcpEcho('hello');
    expect(reply).toBe('echo:hello');
    await new Promise((r) => setTimeout(r, 50));
    expect(serverRecords.some((r) => r.protocol === 'TCP' && r.peerPrincipal === CLIENT_ID)).toBe(
      true,
    );
  });

  it('later TCP connections resume the TLS session, and both sides still record both identities', async () => {
    const tcp = (rs: RequestRecord[]) => rs.filter((r) => r.protocol === 'TCP');
    serverRecords.length = clientRecords.length = 0;
    await tcpEcho('first');
    await vi.waitFor(() => expect(tcp(serverRecords).length + tcp(clientRecords).length).toBe(2));
    // The client proxy now holds a session for the server's TCP chain.
    expect(clientSessions(clientDp.secrets).size).toBeGreaterThan(0);
    serverRecords.length = clientRecords.length = 0;
    for (const text of ['a', 'b', 'c']) expect(await tcpEcho(text)).toBe(`echo:${text}`);
    await vi.waitFor(() => expect(tcp(serverRecords).length + tcp(clientRecords).length).toBe(6));
    for (const r of tcp(serverRecords))
      expect(r).toMatchObject({ peerPrincipal: CLIENT_ID, localPrincipal: SERVER_ID });
    expect(tcp(clientRecords)).toHaveLength(3);
    for (const r of tcp(clientRecords))
      expect(r).toMatchObject({ peerPrincipal: SERVER_ID, localPrincipal: CLIENT_ID });
  });

  it('a proxy without a workload identity (no CA) runs plaintext: auto mTLS falls back to tlsMode-disabled', async () => {
    // With an identity, the same config's tlsMode-istio transport is usable.
    expect(clientDp.clusters.get('auto-sidecar')!.hosts[0]!.options.transport?.usable).toBe(true);
    const plain = await startProxy(
      {
        clusters: [
          {
            ...staticCluster('auto', [], autoMtls([SERVER_ID])),
            load_assignment: {
              cluster_name: 'auto',
              endpoints: [
                { lb_endpoints: [endpointWithTlsMode(serverPort('inbound-http'), 'istio')] },
              ],
            },
          },
        ],
        listeners: [listener('l', 'OUTBOUND', [{ filters: [hcm('auto')] }])],
      },
      { workloadIdentity: false },
    );
    try {
      serverRecords.length = 0;
      expect((await send(plain.url(), { fresh: true })).status).toBe(200);
      // It reached the server's plaintext (PERMISSIVE) chain.
      expect(serverRecords.at(-1)).toMatchObject({ peerPrincipal: '', localPrincipal: '' });
    } finally {
      plain.dp.close();
    }
  });

  it('a cluster whose secrets have not arrived fails the connection, not the process', async () => {
    const lone = await startProxy({
      clusters: [
        staticCluster('mesh', [['127.0.0.1', 1]], {
          transport_socket: mtlsClientSocket({ sans: [SERVER_ID] }),
        }),
      ],
      listeners: [listener('l', 'OUTBOUND', [{ filters: [hcm('mesh')] }])],
    });
    try {
      expect((await send(lone.url(), { fresh: true })).status).toBe(503);
    } finally {
      lone.dp.close();
    }
  });
});
