// Network ext_authz through a real Petrel listener (needs listener.patch): a plaintext
// tcp_proxy chain and an mTLS HTTP chain, each with envoy.filters.network.ext_authz
// before its terminal filter, against a real gRPC authorizer.
import https from 'node:https';
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spiffeServerIdentityCheck } from '../../../../api/istio/ca/spiffe.ts';
import { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import type { RequestRecord } from '../../../../sidecar/proxy/record.ts';
import { httpBackend } from '../support/backends.ts';
import { apply, HCM, ROUTER, staticCluster, TCP_PROXY, TypeUrl } from '../support/envoy.ts';
import { identitySecrets, mtlsServerSocket, testCa } from '../tls/support/certs.ts';
import {
  talk,
  authzCluster,
  checkHeaders,
  extAuthzFilter,
  grpcAuthorizer,
  NETWORK_EXT_AUTHZ,
  type GrpcAuthorizer,
} from '../filters/ext-authz-support.ts';

type Obj = Record<string, unknown>;

const NETWORK_FILTER = {
  name: 'envoy.filters.network.ext_authz',
  typed_config: {
    '@type': NETWORK_EXT_AUTHZ,
    stat_prefix: 'tcp.',
    grpc_service: { envoy_grpc: { cluster_name: 'authz' } },
  },
};

let authz: GrpcAuthorizer;
let echo: net.Server;
let echoPort = 0;
let upstreamConnections = 0;

beforeAll(async () => {
  authz = await grpcAuthorizer();
  echo = net.createServer((s) => {
    upstreamConnections++;
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  echoPort = (echo.address() as net.AddressInfo).port;
});
afterAll(async () => {
  echo.close();
  await authz.close();
});

it('holds a TCP connection for the check, then proxies it or closes it before connecting upstream', async () => {
  const records: RequestRecord[] = [];
  const dp = new ProxyDataPlane({ onRequestComplete: (r) => records.push(r) });
  const errors = [
    ...(await apply(dp, TypeUrl.Cluster, [
      staticCluster('echo', [['127.0.0.1', echoPort]]),
      authzCluster('authz', authz.port, true),
    ])),
    ...(await apply(dp, TypeUrl.Listener, [
      {
        '@type': TypeUrl.Listener,
        name: 'tcp',
        address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
        filter_chains: [
          {
            filters: [
              NETWORK_FILTER,
              {
                name: 'envoy.filters.network.tcp_proxy',
                typed_config: { '@type': TCP_PROXY, stat_prefix: 'x', cluster: 'echo' },
              },
            ],
          },
        ],
      },
    ])),
  ];
  expect(errors).toEqual([]);
  const port = dp.listenerAddress('tcp')!.port;
  authz.decide = () => 'allow';
  expect(await talk(port)).toBe('ping');
  const before = upstreamConnections;
  authz.decide = () => 'deny';
  expect(await talk(port)).toBe('');
  expect(upstreamConnections).toBe(before);
  await expect
    .poll(() => records.find((r) => r.connectionTerminationDetails === 'ext_authz_denied'))
    .toBeTruthy();
  dp.close();
});

it('checks an mTLS connection (peer SPIFFE identity) before its HTTP requests are checked', async () => {
  const ca = await testCa();
  const backend = await httpBackend('app');
  const dp = new ProxyDataPlane();
  const hcm = {
    '@type': HCM,
    stat_prefix: 'in',
    route_config: {
      name: 'r',
      virtual_hosts: [
        {
          name: 'v',
          domains: ['*'],
          routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }],
        },
      ],
    },
    http_filters: [
      extAuthzFilter({ grpc_service: { envoy_grpc: { cluster_name: 'authz' } } }),
      ROUTER,
    ],
  };
  const errors = [
    ...(await apply(dp, TypeUrl.Secret, identitySecrets(await ca.workload('default', 'server')))),
    ...(await apply(dp, TypeUrl.Cluster, [
      staticCluster('b', [['127.0.0.1', backend.port]]),
      authzCluster('authz', authz.port, true),
    ])),
    ...(await apply(dp, TypeUrl.Listener, [
      {
        '@type': TypeUrl.Listener,
        name: 'in',
        address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
        filter_chains: [
          {
            transport_socket: mtlsServerSocket(),
            filters: [
              NETWORK_FILTER,
              { name: 'envoy.filters.network.http_connection_manager', typed_config: hcm },
            ],
          },
        ],
      },
    ])),
  ];
  expect(errors).toEqual([]);
  // Connections are allowed; requests by their header.
  authz.decide = (c) =>
    !(c.attributes as Obj).request || checkHeaders(c)['x-ext-authz'] === 'allow' ? 'allow' : 'deny';
  const client = await ca.workload('default', 'client');
  const port = dp.listenerAddress('in')!.port;
  const get = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          path: '/',
          headers,
          ca: client.rootPem,
          cert: client.certPem,
          key: client.keyPem,
          agent: false,
          checkServerIdentity: spiffeServerIdentityCheck([
            'spiffe://cluster.local/ns/default/sa/server',
          ]),
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        },
      );
      req.on('error', reject);
      req.end();
    });
  expect(await get({ 'x-ext-authz': 'allow' })).toBe(200);
  expect(await get({})).toBe(401);
  const connectionCheck = authz.checks.filter((c) => !(c.attributes as Obj).request).at(-1);
  expect(((connectionCheck!.attributes as Obj).source as Obj).principal).toBe(
    'spiffe://cluster.local/ns/default/sa/client',
  );
  dp.close();
  await backend.close();
  ca.close();
});
