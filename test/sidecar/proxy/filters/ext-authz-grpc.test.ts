// envoy.filters.http.ext_authz with a grpc_service, against a real gRPC
// Authorization server (@grpc/grpc-js): the CheckRequest it receives (peers, HTTP
// attributes, context extensions, body, identities over mTLS), how an OK or a
// denied CheckResponse edits or answers the request, and gRPC failures as errors.
// The call goes through the proxy's own cluster, so its ISTIO_MUTUAL transport
// socket applies to an in-mesh authorizer.
import * as grpc from '@grpc/grpc-js';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spiffeServerIdentityCheck } from '../../../../api/istio/ca/spiffe.ts';
import { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import type { RequestRecord } from '../../../../sidecar/proxy/record.ts';
import { send } from '../support/backends.ts';
import { apply, HCM, ROUTER, staticCluster, TypeUrl } from '../support/envoy.ts';
import {
  identitySecrets,
  mtlsClientSocket,
  mtlsServerSocket,
  testCa,
  type TestCa,
} from '../tls/support/certs.ts';
import {
  AUTHZ_CLUSTER,
  authzCluster,
  authzSuite,
  checkHeaders,
  defaultDecision,
  DENIED_BODY,
  routeWithPerRoute,
  extAuthzFilter,
  GRPC_SERVICE,
  grpcAuthorizer,
  type GrpcAuthorizer,
} from './ext-authz-support.ts';
import { freePort } from './security-support.ts';

type Obj = Record<string, unknown>;

const suite = authzSuite(grpcAuthorizer, AUTHZ_CLUSTER, true);
const proxy = suite.proxy;

/** Istio's grpc_service shape to the authorizer's cluster. */
function grpcService(extra: Obj = {}): Obj {
  return { grpc_service: GRPC_SERVICE, transport_api_version: 'V3', ...extra };
}

const attrs = (check: Obj): Obj => check.attributes as Obj;
const httpAttrs = (check: Obj): Obj => (attrs(check).request as Obj).http as Obj;

describe('ext_authz grpc_service', () => {
  it('sends a CheckRequest with the peers, the HTTP attributes and all headers (lowercase, pseudo-headers too)', async () => {
    const p = await proxy([extAuthzFilter(grpcService())]);
    const r = await send(p.url('/api/items?q=1'), {
      method: 'POST',
      headers: { 'x-ext-authz': 'allow', 'X-Mixed-Case': 'v', 'x-request-id': 'req-1' },
      body: 'not sent without with_request_body',
    });
    expect(r.status).toBe(200);
    const check = suite.authz.checks.at(-1)!;
    const a = attrs(check);
    expect(a.source).toMatchObject({ address: { socket_address: { address: '127.0.0.1' } } });
    expect(((a.source as Obj).address as Obj).socket_address).toHaveProperty('port_value');
    expect(a.destination).toMatchObject({
      address: { socket_address: { address: '127.0.0.1', port_value: p.port } },
    });
    expect((a.destination as Obj).principal).toBeUndefined();
    const http = httpAttrs(check);
    expect(http).toMatchObject({
      id: 'req-1',
      method: 'POST',
      path: '/api/items?q=1',
      host: `127.0.0.1:${p.port}`,
      scheme: 'http',
      protocol: 'HTTP/1.1',
    });
    expect(http.body).toBeUndefined();
    const headers = checkHeaders(check);
    expect(headers).toMatchObject({
      ':authority': `127.0.0.1:${p.port}`,
      ':method': 'POST',
      ':path': '/api/items?q=1',
      'x-ext-authz': 'allow',
      'x-mixed-case': 'v',
      'x-request-id': 'req-1',
    });
    expect(((attrs(check).request as Obj).time as Obj).seconds).toBeGreaterThan(0);
    // A unary call with the filter's timeout as its deadline, to the configured authority.
    const call = suite.authz.calls.at(-1)!;
    expect(call.deadline).toBeGreaterThan(Date.now());
    expect(call.metadata['x-envoy-internal']).toBe('true');
  });

  it('applies an OK response: request headers set, appended and removed, query set, response headers added', async () => {
    const p = await proxy([extAuthzFilter(grpcService())]);
    const r = await send(p.url('/things?keep=1'), {
      headers: { 'x-ext-authz': 'allow', 'x-appended': 'client', 'x-secret': 'token' },
    });
    expect(r.status).toBe(200);
    expect(r.headers['x-authz-note']).toBe('checked');
    const seen = suite.backend.seen.at(-1)!;
    expect(seen.headers['x-ext-authz-check-result']).toBe('allowed');
    expect(seen.headers['x-appended']).toBe('client,authz');
    expect(seen.headers['x-secret']).toBeUndefined();
    expect(seen.url).toBe('/things?keep=1&authz=yes');
    expect(p.stats()).toEqual({ 'http.authz_test.ext_authz.ok': 1 });
  });

  it("answers a denial with the denied_response's status, body and headers", async () => {
    const p = await proxy([extAuthzFilter(grpcService())]);
    const before = suite.backend.seen.length;
    const r = await send(p.url('/'));
    expect(r.status).toBe(401);
    expect(r.body).toBe(DENIED_BODY);
    expect(r.headers['x-ext-authz-check-result']).toBe('denied');
    expect(suite.backend.seen.length).toBe(before);
    expect(p.records.at(-1)!).toMatchObject({
      responseCodeDetails: 'ext_authz_denied',
      flags: 'UAEX',
    });
  });

  it('sends only allowed_headers (minus disallowed_headers), route context_extensions and the body as raw bytes', async () => {
    const p = await proxy(
      [
        extAuthzFilter(
          grpcService({
            allowed_headers: { patterns: [{ prefix: 'x-' }] },
            disallowed_headers: { patterns: [{ exact: 'x-private' }] },
            with_request_body: { max_request_bytes: 1024, pack_as_bytes: true },
          }),
        ),
      ],
      {
        routes: [
          routeWithPerRoute({ check_settings: { context_extensions: { virtual_host: 'shop' } } }),
        ],
      },
    );
    const bytes = Buffer.from([0xff, 0x00, 0x41]);
    const r = await send(p.url('/'), {
      method: 'POST',
      headers: { 'x-ext-authz': 'allow', 'x-private': 'no', 'user-agent': 'ua' },
      body: bytes.toString('latin1'),
    });
    expect(r.status).toBe(200);
    const check = suite.authz.checks.at(-1)!;
    expect(Object.keys(checkHeaders(check)).sort()).toEqual([
      'x-envoy-auth-partial-body',
      'x-ext-authz',
      'x-forwarded-proto',
      'x-request-id',
    ]);
    expect(attrs(check).context_extensions).toEqual({ virtual_host: 'shop' });
    expect(Buffer.from(httpAttrs(check).raw_body as Buffer).length).toBeGreaterThan(0);
    expect(httpAttrs(check).size).toBe((httpAttrs(check).raw_body as Buffer).length);
  });

  it('passes the RBAC shadow metadata when metadata_context_namespaces names it', async () => {
    const p = await proxy([
      {
        name: 'envoy.filters.http.rbac',
        typed_config: {
          '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
          shadow_rules: {
            action: 'DENY',
            policies: {
              'istio-ext-authz-p': { permissions: [{ any: true }], principals: [{ any: true }] },
            },
          },
          shadow_rules_stat_prefix: 'istio_ext_authz_',
        },
      },
      extAuthzFilter(grpcService({ metadata_context_namespaces: ['envoy.filters.http.rbac'] })),
    ]);
    await send(p.url('/'), { headers: { 'x-ext-authz': 'allow' } });
    const md = (attrs(suite.authz.checks.at(-1)!).metadata_context as Obj).filter_metadata as Obj;
    const fields = (md['envoy.filters.http.rbac'] as Obj).fields as Record<string, Obj>;
    expect(fields.istio_ext_authz_shadow_effective_policy_id).toMatchObject({
      stringValue: 'istio-ext-authz-p',
    });
  });

  it('treats a failed call (grpc-status UNAVAILABLE, unreachable, or past its timeout) as an error', async () => {
    const p = await proxy([extAuthzFilter(grpcService())]);
    suite.authz.decide = () => 'unavailable';
    try {
      expect((await send(p.url('/'), { headers: { 'x-ext-authz': 'allow' } })).status).toBe(403);
    } finally {
      suite.authz.decide = defaultDecision;
    }
    const down = await proxy([extAuthzFilter(grpcService({ failure_mode_allow: true }))], {
      authzPort: await freePort(),
    });
    expect((await send(down.url('/'))).status).toBe(200);
    expect(down.stats()).toEqual({
      'http.authz_test.ext_authz.error': 1,
      'http.authz_test.ext_authz.failure_mode_allowed': 1,
    });
    const slow = await proxy([
      extAuthzFilter({
        ...grpcService(),
        grpc_service: {
          envoy_grpc: { cluster_name: AUTHZ_CLUSTER },
          timeout: '0.05s',
        },
      }),
    ]);
    suite.authz.decide = () => ({ delayMs: 1000 });
    try {
      const r = await send(slow.url('/'), { headers: { 'x-ext-authz': 'allow' } });
      expect(r.status).toBe(403);
      expect(slow.records.at(-1)!.responseCodeDetails).toBe('ext_authz_error');
    } finally {
      suite.authz.decide = defaultDecision;
    }
  });

  it("answers a gRPC client trailers-only, grpc-status mapped from the denial's HTTP status (401: UNAUTHENTICATED)", async () => {
    const p = await proxy([extAuthzFilter(grpcService())]);
    const r = await send(p.url('/pkg.Svc/Method'), {
      method: 'POST',
      headers: { 'content-type': 'application/grpc', 'x-ext-authz': 'deny' },
      body: '',
    });
    expect(r.status).toBe(200);
    expect(r.headers['grpc-status']).toBe('16');
  });
});

describe('ext_authz over mTLS', () => {
  const SERVER_ID = 'spiffe://cluster.local/ns/default/sa/server';
  const CLIENT_ID = 'spiffe://cluster.local/ns/default/sa/client';
  const AUTHZ_ID = 'spiffe://cluster.local/ns/foo/sa/authz';
  let ca: TestCa;
  let tlsAuthz: GrpcAuthorizer;
  let dp: ProxyDataPlane;
  const records: RequestRecord[] = [];

  beforeAll(async () => {
    ca = await testCa();
    const authzCert = await ca.workload('foo', 'authz');
    // The authorizer requires a client certificate from the mesh CA: only the proxy's
    // ISTIO_MUTUAL transport socket can call it.
    tlsAuthz = await grpcAuthorizer(
      grpc.ServerCredentials.createSsl(
        Buffer.from(ca.rootPem),
        [
          {
            private_key: Buffer.from(authzCert.keyPem),
            cert_chain: Buffer.from(authzCert.certPem),
          },
        ],
        true,
      ),
    );
    dp = new ProxyDataPlane({ onRequestComplete: (r) => records.push(r) });
    const hcm = {
      '@type': HCM,
      stat_prefix: 'inbound_0.0.0.0_8080',
      route_config: {
        name: 'r',
        virtual_hosts: [
          {
            name: 'v',
            domains: ['*'],
            routes: [{ match: { prefix: '/' }, route: { cluster: 'backend' } }],
          },
        ],
      },
      http_filters: [
        extAuthzFilter({
          grpc_service: { envoy_grpc: { cluster_name: 'authz' }, timeout: '5s' },
          include_peer_certificate: true,
        }),
        ROUTER,
      ],
    };
    const errors = [
      ...(await apply(dp, TypeUrl.Secret, identitySecrets(await ca.workload('default', 'server')))),
      ...(await apply(dp, TypeUrl.Cluster, [
        staticCluster('backend', [['127.0.0.1', suite.backend.port]]),
        authzCluster('authz', tlsAuthz.port, true, {
          transport_socket: mtlsClientSocket({ sans: [AUTHZ_ID], alpn: ['h2'] }),
        }),
      ])),
      ...(await apply(dp, TypeUrl.Listener, [
        {
          '@type': TypeUrl.Listener,
          name: 'inbound',
          address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
          filter_chains: [
            {
              filters: [
                { name: 'envoy.filters.network.http_connection_manager', typed_config: hcm },
              ],
              transport_socket: mtlsServerSocket(),
            },
          ],
        },
      ])),
    ];
    expect(errors).toEqual([]);
  });
  afterAll(async () => {
    dp?.close();
    await tlsAuthz?.close();
    ca?.close();
  });

  it("tells the authorizer both SPIFFE identities and the client's certificate, calling it over ISTIO_MUTUAL", async () => {
    const client = await ca.workload('default', 'client');
    const port = dp.listenerAddress('inbound')!.port;
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          path: '/secure',
          headers: { 'x-ext-authz': 'allow' },
          ca: client.rootPem,
          cert: client.certPem,
          key: client.keyPem,
          agent: false,
          checkServerIdentity: spiffeServerIdentityCheck([SERVER_ID]),
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    const a = attrs(tlsAuthz.checks.at(-1)!);
    expect((a.source as Obj).principal).toBe(CLIENT_ID);
    expect((a.destination as Obj).principal).toBe(SERVER_ID);
    expect(decodeURIComponent(String((a.source as Obj).certificate))).toBe(
      client.certPem.trim() + '\n',
    );
    expect(httpAttrs(tlsAuthz.checks.at(-1)!).scheme).toBe('https');
    expect(dp.stats().find((s) => s.name === 'http.inbound_0.0.0.0_8080.ext_authz.ok')?.value).toBe(
      1,
    );
  });
});
