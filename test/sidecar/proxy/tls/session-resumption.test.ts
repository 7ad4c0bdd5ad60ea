// TLS session resumption between an upstream TLS context and a server chain, as two
// sidecars use it: the second connection resumes (TLS 1.2 and 1.3), both sides still
// know and check each other's identity, and a session never carries over to another
// server identity, another trust configuration or another secret set.
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Issues } from '../../../../sidecar/proxy/config/issues.ts';
import { compileDownstreamTls } from '../../../../sidecar/proxy/tls/context-spec.ts';
import { SecretStore } from '../../../../sidecar/proxy/tls/secret-store.ts';
import { TlsErrorCode } from '../../../../sidecar/proxy/tls/errors.ts';
import {
  identitySecrets,
  mtlsClientSocket,
  mtlsServerSocket,
  testCa,
  type Issued,
  type TestCa,
} from './support/certs.ts';
import type { UpstreamTls } from '../../../../sidecar/proxy/tls/upstream.ts';
import {
  applySecrets,
  dial,
  downstreamTls,
  tlsServer,
  upstreamTls,
  type TlsServer,
} from './support/pair.ts';

type Obj = Record<string, unknown>;

const SERVER_ID = 'spiffe://cluster.local/ns/default/sa/server';
const CLIENT_ID = 'spiffe://cluster.local/ns/default/sa/client';
const IMPOSTOR_ID = 'spiffe://cluster.local/ns/default/sa/impostor';

/** A transport socket with tls_params (and other fields) merged into its context. */
function withTls(socket: Obj, params: Obj, fields: Obj = {}): Obj {
  const tc = socket.typed_config as Obj;
  return {
    ...socket,
    typed_config: {
      ...tc,
      ...fields,
      common_tls_context: { ...(tc.common_tls_context as Obj), tls_params: params },
    },
  };
}

const TLS12 = { tls_maximum_protocol_version: 'TLSv1_2' };
// Istio's ISTIO_MUTUAL clusters and inbound chains allow TLS 1.3.
const TLS13 = { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3' };

describe('TLS session resumption between sidecars', () => {
  let ca: TestCa;
  let server: Issued;
  let impostor: Issued;
  let clientCert: Issued;
  let serverStore: SecretStore;
  let clientStore: SecretStore;

  beforeAll(async () => {
    ca = await testCa();
    server = await ca.workload('default', 'server');
    impostor = await ca.workload('default', 'impostor');
    clientCert = await ca.workload('default', 'client');
    serverStore = new SecretStore();
    // `impostor` is a second certificate held by the same proxy, so its chain shares
    // the proxy's ticket key: only the session id context keeps sessions apart.
    applySecrets(serverStore, [
      ...identitySecrets(server),
      identitySecrets(impostor, 'impostor')[0]!,
    ]);
    clientStore = new SecretStore();
    applySecrets(clientStore, identitySecrets(clientCert));
  });

  afterAll(() => ca?.close());

  const serverSocket = (params: Obj, cert = 'default', fields: Obj = {}): Obj => {
    const s = withTls(mtlsServerSocket({ alpn: ['istio'] }), params, fields);
    const ctx = (s.typed_config as Obj).common_tls_context as Obj;
    ctx.tls_certificate_sds_secret_configs = [{ name: cert }];
    return s;
  };
  const clientSocket = (params: Obj, fields: Obj = {}): Obj =>
    withTls(mtlsClientSocket({ sans: [SERVER_ID], alpn: ['istio'] }), params, fields);

  /** A server chain and a client context with the same tls_params; the server is closed after `run`. */
  async function withPair(
    params: Obj,
    run: (srv: TlsServer, client: UpstreamTls) => Promise<void>,
    store = clientStore,
  ): Promise<void> {
    const srv = await tlsServer(downstreamTls(serverSocket(params), serverStore));
    try {
      await run(srv, upstreamTls(clientSocket(params), store));
    } finally {
      await srv.close();
    }
  }

  /** The error a refused connection ends with. */
  const refusal = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => e as { code?: string; message?: string },
    );

  for (const [version, params] of [
    ['TLS 1.2', TLS12],
    ['TLS 1.3', TLS13],
  ] as const) {
    it(`${version}: the second connection resumes, and both sides still report and check the peer identity`, async () => {
      await withPair(params, async (srv, client) => {
        const first = await dial(client, srv.port);
        const second = await dial(client, srv.port);
        const third = await dial(client, srv.port);
        expect(first).toMatchObject({ reused: false, peer: SERVER_ID });
        expect(second).toMatchObject({ reused: true, peer: SERVER_ID });
        expect(third).toMatchObject({ reused: true, peer: SERVER_ID });
        expect(srv.accepted.map((a) => a.reused)).toEqual([false, true, true]);
        for (const a of srv.accepted)
          expect(a.info).toMatchObject({ peerPrincipal: CLIENT_ID, localPrincipal: SERVER_ID });
        expect(srv.failures).toEqual([]);
      });
    });
  }

  it("node gives the client certificate to the server on a resumed session, but not the server's to the client", async () => {
    // Why the client keeps what its full handshake verified next to each session.
    await withPair(TLS13, async (srv, client) => {
      const full = await dial(client, srv.port);
      const resumed = await dial(client, srv.port);
      expect(full.nodePeerCert).toBe(`URI:${SERVER_ID}`);
      expect(resumed).toMatchObject({ reused: true, nodePeerCert: undefined, peer: SERVER_ID });
      expect(srv.accepted[1]).toMatchObject({ reused: true, info: { peerPrincipal: CLIENT_ID } });
    });
  });

  it('a session is not resumed by a server presenting another identity, which is then refused', async () => {
    await withPair(TLS13, async (srv, client) => {
      await dial(client, srv.port);
      expect((await dial(client, srv.port)).reused).toBe(true);
      // Same address, same proxy (same ticket key), another certificate.
      srv.tls = downstreamTls(serverSocket(TLS13, 'impostor'), serverStore);
      const before = srv.accepted.length;
      const err = await refusal(dial(client, srv.port));
      expect(err?.code).toBe(TlsErrorCode.PeerIdentity);
      expect(err?.message).toContain(IMPOSTOR_ID);
      expect(srv.accepted.slice(before).filter((a) => a.reused)).toEqual([]);
    });
  });

  it('a session is not offered where its server would fail this connection’s checks (auto SAN validation)', async () => {
    await withPair(TLS13, async (srv, client) => {
      await dial(client, srv.port);
      const before = srv.accepted.length;
      // The workload certificate carries no DNS name: a connection that must reach
      // "other.example" is refused, resumable session or not.
      const err = await refusal(dial(client, srv.port, { sanDns: 'other.example' }));
      expect(err?.code).toBe(TlsErrorCode.PeerIdentity);
      expect(srv.accepted.slice(before).filter((a) => a.reused)).toEqual([]);
      // The session was kept for the connections it is good for.
      expect((await dial(client, srv.port)).reused).toBe(true);
    });
  });

  it('ticket keys survive a rebuilt server (new secret set, new listener): sessions still resume', async () => {
    await withPair(TLS13, async (srv, client) => {
      await dial(client, srv.port);
      // The same certificates pushed again: the server context is rebuilt.
      applySecrets(serverStore, [
        ...identitySecrets(server),
        identitySecrets(impostor, 'impostor')[0]!,
      ]);
      expect((await dial(client, srv.port)).reused).toBe(true);
      // A listener update builds a new terminator for the same chain.
      srv.tls = downstreamTls(serverSocket(TLS13), serverStore);
      expect((await dial(client, srv.port)).reused).toBe(true);
    });
  });

  it('a new client secret set (rotated certificate) starts over with a full handshake', async () => {
    const store = new SecretStore();
    applySecrets(store, identitySecrets(clientCert));
    await withPair(
      TLS13,
      async (srv, client) => {
        await dial(client, srv.port);
        expect((await dial(client, srv.port)).reused).toBe(true);
        const rotated = await ca.workload('default', 'client');
        applySecrets(store, identitySecrets(rotated));
        expect(await dial(client, srv.port)).toMatchObject({ reused: false, peer: SERVER_ID });
        expect(srv.accepted.at(-1)?.info.peerPrincipal).toBe(CLIENT_ID);
        expect((await dial(client, srv.port)).reused).toBe(true);
      },
      store,
    );
  });

  it('a resumed session is refused once the client certificate it carries has expired', async () => {
    const store = new SecretStore();
    const shortLived = await ca.workload('default', 'client', 2);
    applySecrets(store, identitySecrets(shortLived));
    const notAfter = new X509Certificate(shortLived.certPem).validToDate.getTime();
    await withPair(
      TLS13,
      async (srv, client) => {
        await dial(client, srv.port);
        expect((await dial(client, srv.port)).reused).toBe(true);
        await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(notAfter), {
          timeout: 5000,
          interval: 100,
        });
        // A full handshake would fail chain verification; the resumed one is closed
        // by the server too (after the client saw its handshake finish).
        await dial(client, srv.port).catch(() => undefined);
        await vi.waitFor(() =>
          expect(srv.failures.map((f) => f.message)).toContain('client certificate has expired'),
        );
        expect(srv.accepted).toHaveLength(2);
      },
      store,
    );
  });

  it('max_session_keys 0 and disable_stateless_session_resumption turn resumption off', async () => {
    const plain = await tlsServer(downstreamTls(serverSocket(TLS13), serverStore));
    const noTickets = await tlsServer(
      downstreamTls(
        serverSocket(TLS13, 'default', { disable_stateless_session_resumption: true }),
        serverStore,
      ),
    );
    const noCache = upstreamTls(
      clientSocket(TLS13, { max_session_keys: { value: 0 } }),
      clientStore,
    );
    const client = upstreamTls(clientSocket(TLS13), clientStore);
    try {
      for (let i = 0; i < 2; i++) expect((await dial(noCache, plain.port)).reused).toBe(false);
      for (let i = 0; i < 2; i++) expect((await dial(client, noTickets.port)).reused).toBe(false);
      expect(noTickets.accepted.map((a) => a.info.peerPrincipal)).toEqual([CLIENT_ID, CLIENT_ID]);
    } finally {
      await plain.close();
      await noTickets.close();
    }
  });

  it('session_timeout sets the session lifetime (default 2 h, as BoringSSL); configured ticket keys are refused', () => {
    const compile = (fields: Obj) => {
      const issues = new Issues();
      const spec = compileDownstreamTls(
        { ...(mtlsServerSocket().typed_config as Obj), ...fields },
        issues,
      );
      return { spec, issues: issues.lines };
    };
    expect(compile({}).spec).toMatchObject({ sessionTimeoutS: 7200, sessionTickets: true });
    expect(compile({ session_timeout: '300.5s' }).spec.sessionTimeoutS).toBe(300);
    expect(compile({ session_ticket_keys: { keys: [] } }).issues).toEqual([
      'session_ticket_keys: session_ticket_keys is not supported',
    ]);
  });
});
