// x-forwarded-client-cert through a Petrel listener with a real mTLS chain (and a
// plaintext one beside it, as PERMISSIVE has): each forward_client_cert_details mode,
// the element this hop adds (By, Hash of the client certificate's DER, Cert, Chain,
// Subject, URI, DNS in Envoy's order and quoting), and the header removed whenever
// the connection carries no client certificate.
import { X509Certificate, createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spiffeServerIdentityCheck } from '../../../../api/istio/ca/spiffe.ts';
import { rfc2253Subject } from '../../../../sidecar/proxy/http/xfcc.ts';
import type { EnvoyResource } from '../../../../sidecar/types.ts';
import { httpBackend, type Backend } from '../support/backends.ts';
import { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import { HCM, ROUTER, apply, staticCluster, TypeUrl } from '../support/envoy.ts';
import {
  identitySecrets,
  mtlsServerSocket,
  testCa,
  type Issued,
  type TestCa,
} from '../tls/support/certs.ts';

type Obj = Record<string, unknown>;

const SERVER_ID = 'spiffe://cluster.local/ns/default/sa/server';
const CLIENT_ID = 'spiffe://cluster.local/ns/default/sa/client';
const TLS_INSPECTOR = {
  name: 'envoy.filters.listener.tls_inspector',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  },
};

function hcm(mode: string | undefined, details: Obj | undefined): Obj {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': HCM,
      stat_prefix: 'x',
      http_filters: [ROUTER],
      route_config: {
        name: 'x',
        virtual_hosts: [
          {
            name: 'x',
            domains: ['*'],
            routes: [{ match: { prefix: '/' }, route: { cluster: 'b' } }],
          },
        ],
      },
      ...(mode ? { forward_client_cert_details: mode } : {}),
      ...(details ? { set_current_client_cert_details: details } : {}),
    },
  };
}

/** mTLS and plaintext chains on one port, like an inbound port under PERMISSIVE. */
function listener(name: string, mode?: string, details?: Obj): EnvoyResource {
  return {
    '@type': TypeUrl.Listener,
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    listener_filters: [TLS_INSPECTOR],
    filter_chains: [
      {
        filter_chain_match: { transport_protocol: 'tls' },
        filters: [hcm(mode, details)],
        transport_socket: mtlsServerSocket(),
      },
      { filter_chain_match: { transport_protocol: 'raw_buffer' }, filters: [hcm(mode, details)] },
    ],
  };
}

const ISTIO_INBOUND = { subject: { value: true }, dns: true, uri: true };

let ca: TestCa;
let server: Issued;
let client: Issued;
let backend: Backend;
let dp: ProxyDataPlane;

beforeAll(async () => {
  ca = await testCa();
  server = await ca.workload('default', 'server');
  client = await ca.workload('default', 'client');
  backend = await httpBackend('app');
  dp = new ProxyDataPlane();
  const errors = [
    ...(await apply(dp, TypeUrl.Cluster, [staticCluster('b', [['127.0.0.1', backend.port]])])),
    ...(await apply(dp, TypeUrl.Secret, identitySecrets(server))),
    ...(await apply(dp, TypeUrl.Listener, [
      listener('sanitize'),
      listener('forward-only', 'FORWARD_ONLY'),
      listener('append', 'APPEND_FORWARD', ISTIO_INBOUND),
      listener('set', 'SANITIZE_SET', {
        subject: { value: true },
        cert: true,
        chain: true,
        uri: true,
        dns: true,
      }),
      listener('always', 'ALWAYS_FORWARD_ONLY'),
    ])),
  ];
  expect(errors).toEqual([]);
});
afterAll(async () => {
  dp?.close();
  await backend?.close();
  ca?.close();
});

/** The XFCC header the app saw for one request (undefined: none). */
async function seen(
  listenerName: string,
  tlsClient: boolean,
  sent?: string,
): Promise<string | undefined> {
  const port = dp.listenerAddress(listenerName)!.port;
  const headers = sent ? { 'x-forwarded-client-cert': sent } : {};
  const before = backend.seen.length;
  await new Promise<void>((resolve, reject) => {
    const done = (res: http.IncomingMessage) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
      );
    };
    const req = tlsClient
      ? https.request(
          {
            host: '127.0.0.1',
            port,
            path: '/',
            headers,
            ca: client.rootPem,
            cert: client.certPem,
            key: client.keyPem,
            agent: false,
            checkServerIdentity: spiffeServerIdentityCheck([SERVER_ID]),
          },
          done,
        )
      : http.request({ host: '127.0.0.1', port, path: '/', headers, agent: false }, done);
    req.on('error', reject);
    req.end();
  });
  expect(backend.seen.length).toBe(before + 1);
  const v = backend.seen.at(-1)!.headers['x-forwarded-client-cert'];
  return Array.isArray(v) ? v.join(',') : v;
}

const hash = (pem: string) =>
  createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');

describe('x-forwarded-client-cert', () => {
  it('tells the app behind an Istio inbound HCM who called: By, Hash, Subject, URI (APPEND_FORWARD)', async () => {
    const own = `By=${SERVER_ID};Hash=${hash(client.certPem)};Subject="";URI=${CLIENT_ID}`;
    expect(hash(client.certPem)).toMatch(/^[0-9a-f]{64}$/);
    expect(await seen('append', true)).toBe(own);
    expect(await seen('append', true, 'By=spiffe://upstream;URI=spiffe://origin')).toBe(
      `By=spiffe://upstream;URI=spiffe://origin,${own}`,
    );
  });

  it('removes what a client without a certificate sent, in every mode but ALWAYS_FORWARD_ONLY', async () => {
    const forged = `By=${SERVER_ID};URI=spiffe://cluster.local/ns/default/sa/admin`;
    for (const l of ['sanitize', 'forward-only', 'append', 'set'])
      expect(await seen(l, false, forged), l).toBeUndefined();
    expect(await seen('always', false, forged)).toBe(forged);
  });

  it('SANITIZE removes it even on mTLS; FORWARD_ONLY and ALWAYS_FORWARD_ONLY pass it unchanged', async () => {
    expect(await seen('sanitize', true, 'URI=x')).toBeUndefined();
    expect(await seen('forward-only', true, 'URI=x')).toBe('URI=x');
    expect(await seen('forward-only', true)).toBeUndefined();
    expect(await seen('always', true, 'URI=x')).toBe('URI=x');
  });

  it('SANITIZE_SET replaces it with the url-encoded certificate and chain, in Envoy order', async () => {
    const got = (await seen('set', true, 'URI=forged'))!;
    const parts = got.split(';');
    expect(parts.map((p) => p.slice(0, p.indexOf('=')))).toEqual([
      'By',
      'Hash',
      'Cert',
      'Chain',
      'Subject',
      'URI',
    ]);
    const value = (k: string) => parts.find((p) => p.startsWith(`${k}=`))!.slice(k.length + 1);
    const cert = decodeURIComponent(value('Cert').slice(1, -1));
    expect(new X509Certificate(cert).raw).toEqual(new X509Certificate(client.certPem).raw);
    expect(value('Cert')).toMatch(/^"[A-Za-z0-9%\-._~]+"$/);
    const chain = decodeURIComponent(value('Chain').slice(1, -1));
    expect(chain.startsWith(new X509Certificate(client.certPem).toString())).toBe(true);
    expect(value('URI')).toBe(CLIENT_ID);
  });
});

describe('rfc2253Subject', () => {
  it('reverses the RDNs, joins them with commas and multi-valued RDNs with +', () => {
    expect(rfc2253Subject('C=US\nO=Example\\, Inc.\nCN=a + UID=b')).toBe(
      'CN=a+UID=b,O=Example\\, Inc.,C=US',
    );
    expect(rfc2253Subject(undefined)).toBe('');
  });
});
