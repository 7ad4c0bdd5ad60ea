// TLS termination on listener filter chains: Istio's PERMISSIVE (mTLS and plaintext
// on one port, told apart by the first bytes), STRICT (plaintext and certificate-less
// clients refused), SNI chain selection, and certificates swapped for new handshakes
// while an open connection keeps working.
import { X509Certificate } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spiffeServerIdentityCheck } from '../../../../api/istio/ca/spiffe.ts';
import type { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import type { RequestRecord } from '../../../../sidecar/proxy/record.ts';
import type { EnvoyResource } from '../../../../sidecar/types.ts';
import { httpBackend, type Backend } from '../support/backends.ts';
import { apply, HCM, ROUTER, startProxy, staticCluster, TypeUrl } from '../support/envoy.ts';
import {
  identitySecrets,
  mtlsServerSocket,
  sds,
  testCa,
  type Issued,
  type TestCa,
} from './support/certs.ts';

type Obj = Record<string, unknown>;

const TLS_INSPECTOR = {
  name: 'envoy.filters.listener.tls_inspector',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  },
};
const SERVER_ID = 'spiffe://cluster.local/ns/default/sa/server';

const hcm = (tag: string): Obj => ({
  name: 'envoy.filters.network.http_connection_manager',
  typed_config: {
    '@type': HCM,
    stat_prefix: tag,
    http_filters: [ROUTER],
    route_config: {
      name: tag,
      virtual_hosts: [
        {
          name: tag,
          domains: ['*'],
          routes: [
            {
              match: { prefix: '/' },
              route: { cluster: 'backend' },
              response_headers_to_add: [{ header: { key: 'x-chain', value: tag } }],
            },
          ],
        },
      ],
    },
  },
});

function listener(name: string, chains: Obj[]): EnvoyResource {
  return {
    '@type': TypeUrl.Listener,
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    listener_filters: [TLS_INSPECTOR],
    traffic_direction: 'INBOUND',
    filter_chains: chains,
  };
}

interface Reply {
  status: number;
  chain: string;
  serverCert: X509Certificate | undefined;
}

/** One HTTPS request; `client` is the client certificate (none: a TLS client without one). */
function httpsGet(
  port: number,
  root: string,
  client?: Issued,
  extra: https.RequestOptions = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        ca: root,
        cert: client?.certPem,
        key: client?.keyPem,
        agent: false,
        checkServerIdentity: spiffeServerIdentityCheck([SERVER_ID]),
        ...extra,
      },
      (res) => {
        const cert = (res.socket as tls.TLSSocket).getPeerX509Certificate();
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            chain: String(res.headers['x-chain'] ?? ''),
            serverCert: cert,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function plainGet(port: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            chain: String(res.headers['x-chain'] ?? ''),
            serverCert: undefined,
          }),
        );
      })
      .on('error', reject);
  });
}

function h2Get(session: http2.ClientHttp2Session, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path });
    req.on('response', (h) => resolve(Number(h[':status'])));
    req.on('error', reject);
    req.resume();
    req.end();
  });
}

describe('downstream TLS on filter chains', () => {
  let ca: TestCa;
  let otherCa: TestCa;
  let server: Issued;
  let client: Issued;
  let backend: Backend;
  let dp: ProxyDataPlane;
  let port: (l?: string) => number;
  const records: RequestRecord[] = [];

  beforeAll(async () => {
    ca = await testCa();
    otherCa = await testCa();
    server = await ca.workload('default', 'server');
    client = await ca.workload('default', 'client');
    backend = await httpBackend('backend');
    const p = await startProxy(
      {
        clusters: [staticCluster('backend', [['127.0.0.1', backend.port]])],
        listeners: [
          listener('permissive', [
            {
              name: 'mtls',
              filter_chain_match: { transport_protocol: 'tls' },
              transport_socket: mtlsServerSocket(),
              filters: [hcm('mtls')],
            },
            {
              name: 'plain',
              filter_chain_match: { transport_protocol: 'raw_buffer' },
              filters: [hcm('plain')],
            },
          ]),
          listener('strict', [
            {
              name: 'mtls',
              filter_chain_match: { transport_protocol: 'tls' },
              transport_socket: mtlsServerSocket(),
              filters: [hcm('mtls')],
            },
          ]),
        ],
      },
      { onRequestComplete: (r) => records.push(r) },
    );
    dp = p.dp;
    port = p.port;
    expect(await apply(dp, TypeUrl.Secret, identitySecrets(server))).toEqual([]);
  });

  /** An HTTP/2 session over one mTLS connection; `serial` is the server certificate's. */
  function h2Session(p: number): http2.ClientHttp2Session & { serial: string } {
    const conn = tls.connect({
      host: '127.0.0.1',
      port: p,
      ca: ca.rootPem,
      cert: client.certPem,
      key: client.keyPem,
      ALPNProtocols: ['h2'],
      checkServerIdentity: spiffeServerIdentityCheck([SERVER_ID]),
    });
    const session = Object.assign(
      http2.connect(`https://127.0.0.1:${p}`, { createConnection: () => conn }),
      {
        serial: '',
      },
    );
    // Read before the session takes the socket over (its handle no longer answers then).
    conn.once(
      'secureConnect',
      () => (session.serial = conn.getPeerX509Certificate()!.serialNumber),
    );
    return session;
  }

  afterAll(async () => {
    dp?.close();
    await backend?.close();
    ca?.close();
    otherCa?.close();
  });

  it('PERMISSIVE: mutual TLS and plaintext on the same port, each on its own chain', async () => {
    records.length = 0;
    const m = await httpsGet(port('permissive'), ca.rootPem, client);
    expect(m).toMatchObject({ status: 200, chain: 'mtls' });
    const plain = await plainGet(port('permissive'));
    expect(plain).toMatchObject({ status: 200, chain: 'plain' });
    expect(records.map((r) => [r.peerPrincipal, r.localPrincipal])).toEqual([
      ['spiffe://cluster.local/ns/default/sa/client', SERVER_ID],
      ['', ''],
    ]);
    // The request reached the app over plaintext with Envoy's x-forwarded-proto for TLS.
    expect(backend.seen.at(-2)!.headers['x-forwarded-proto']).toBe('https');
  });

  it('STRICT: plaintext is refused, mutual TLS is served', async () => {
    await expect(plainGet(port('strict'))).rejects.toThrow();
    expect(await httpsGet(port('strict'), ca.rootPem, client)).toMatchObject({
      status: 200,
      chain: 'mtls',
    });
  });

  it('refuses a TLS client without a certificate, and one whose certificate another CA signed', async () => {
    await expect(httpsGet(port('strict'), ca.rootPem)).rejects.toThrow();
    const stranger = await otherCa.workload('default', 'client');
    await expect(httpsGet(port('strict'), ca.rootPem, stranger)).rejects.toThrow();
  });

  it('refuses a client whose identity the SAN matchers do not allow', async () => {
    const only = listener('only-sleep', [
      {
        filter_chain_match: { transport_protocol: 'tls' },
        transport_socket: mtlsServerSocket({
          sans: ['spiffe://cluster.local/ns/default/sa/sleep'],
        }),
        filters: [hcm('mtls')],
      },
    ]);
    const dp2 = (
      await startProxy({
        clusters: [staticCluster('backend', [['127.0.0.1', backend.port]])],
        listeners: [only],
      })
    ).dp;
    try {
      await apply(dp2, TypeUrl.Secret, identitySecrets(server));
      const p = dp2.listenerAddress('only-sleep')!.port;
      await expect(httpsGet(p, ca.rootPem, client)).rejects.toThrow();
      const sleep = await ca.workload('default', 'sleep');
      expect((await httpsGet(p, ca.rootPem, sleep)).status).toBe(200);
    } finally {
      dp2.close();
    }
  });

  it('serves HTTP/2 over TLS when ALPN picks h2', async () => {
    const session = h2Session(port('permissive'));
    try {
      expect(await h2Get(session, '/h2')).toBe(200);
      expect(backend.seen.at(-1)!.url).toBe('/h2');
    } finally {
      session.close();
    }
  });

  it('a new secret set changes the certificate of new connections; an open one keeps working', async () => {
    const open = h2Session(port('strict'));
    const before = await h2Get(open, '/before');
    expect(before).toBe(200);
    const firstSerial = open.serial;
    const rotated = await ca.workload('default', 'server');
    expect(await apply(dp, TypeUrl.Secret, identitySecrets(rotated))).toEqual([]);
    // The connection opened before the rotation still talks.
    expect(await h2Get(open, '/after')).toBe(200);
    open.close();
    // A fresh connection gets the new certificate.
    const fresh = await httpsGet(port('strict'), ca.rootPem, client);
    expect(fresh.serverCert?.serialNumber).toBe(new X509Certificate(rotated.certPem).serialNumber);
    expect(fresh.serverCert?.serialNumber).not.toBe(firstSerial);
  });

  it('rejects a secret set with a certificate that does not parse, keeping the last good one', async () => {
    const bad = identitySecrets(server);
    (bad[0] as Obj).tls_certificate = {
      certificate_chain: { inline_string: 'not a certificate' },
      private_key: { inline_string: server.keyPem },
    };
    const errors = await apply(dp, TypeUrl.Secret, bad);
    expect(errors).toEqual([
      expect.stringMatching(
        /^default: tls_certificate\.certificate_chain: no PEM certificate found/,
      ),
    ]);
    expect((await httpsGet(port('strict'), ca.rootPem, client)).status).toBe(200);
  });

  it('picks the chain by SNI, each with its own certificate', async () => {
    const a = await ca.server(['a.example.com']);
    const b = await ca.server(['*.b.example.com']);
    const secrets = [
      {
        '@type': TypeUrl.Secret,
        name: 'a',
        tls_certificate: {
          certificate_chain: { inline_string: a.certPem },
          private_key: { inline_string: a.keyPem },
        },
      },
      {
        '@type': TypeUrl.Secret,
        name: 'b',
        tls_certificate: {
          certificate_chain: { inline_string: b.certPem },
          private_key: { inline_string: b.keyPem },
        },
      },
    ];
    const simple = (secret: string): Obj => ({
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type':
          'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
        common_tls_context: { tls_certificate_sds_secret_configs: [sds(secret)] },
      },
    });
    const sni = listener('sni', [
      {
        filter_chain_match: { server_names: ['a.example.com'] },
        transport_socket: simple('a'),
        filters: [hcm('a')],
      },
      {
        filter_chain_match: { server_names: ['*.b.example.com'] },
        transport_socket: simple('b'),
        filters: [hcm('b')],
      },
    ]);
    const p = await startProxy({
      clusters: [staticCluster('backend', [['127.0.0.1', backend.port]])],
      listeners: [sni],
    });
    try {
      expect(await apply(p.dp, TypeUrl.Secret, secrets)).toEqual([]);
      const get = (name: string) =>
        httpsGet(p.port(), ca.rootPem, undefined, {
          servername: name,
          checkServerIdentity: tls.checkServerIdentity,
        });
      expect((await get('a.example.com')).chain).toBe('a');
      expect((await get('x.b.example.com')).chain).toBe('b');
      // No chain for the name: the connection is closed before any handshake.
      await expect(get('c.example.com')).rejects.toThrow();
    } finally {
      p.dp.close();
    }
  });

  it('closes a TLS connection whose chain names a secret not received yet', async () => {
    const p = await startProxy({
      clusters: [staticCluster('backend', [['127.0.0.1', backend.port]])],
      listeners: [
        listener('nosecret', [{ transport_socket: mtlsServerSocket(), filters: [hcm('x')] }]),
      ],
    });
    try {
      await expect(httpsGet(p.port(), ca.rootPem, client)).rejects.toThrow();
    } finally {
      p.dp.close();
    }
  });
});
