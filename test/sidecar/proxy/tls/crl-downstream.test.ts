// Certificate revocation on the server side (Gateway MUTUAL with caCrl, or a
// credential whose Secret carries ca.crl): a client certificate the CRL lists is
// refused at the handshake, others pass; a CRL file is read again when a new secret
// set arrives, a file gone bad leaves the last good CRLs in force; a TLS session
// made before a revocation does not resume after it.
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretStore } from '../../../../sidecar/proxy/tls/secret-store.ts';
import { httpBackend } from '../support/backends.ts';
import { httpListener, startProxy, staticCluster, toCluster, vhost } from '../support/envoy.ts';
import { sds } from './support/certs.ts';
import {
  caSecret,
  crlFixture,
  fileValidation,
  mtlsClient,
  serverSocket,
  type CrlFixture,
} from './support/crl-fixture.ts';
import type { OpensslCert } from './support/openssl-ca.ts';
import { applySecrets, downstreamTls, tlsServer, type TlsServer } from './support/pair.ts';

type Obj = Record<string, unknown>;

describe('CRLs checked on client certificates', () => {
  let f: CrlFixture;
  const open: TlsServer[] = [];

  beforeAll(() => {
    f = crlFixture();
  });

  afterAll(async () => {
    await Promise.all(open.map((s) => s.close()));
    f?.close();
  });

  const serve = async (validation: Obj, store = new SecretStore()) => {
    const s = await tlsServer(downstreamTls(serverSocket(f.good, validation), store));
    open.push(s);
    return s;
  };

  it('MUTUAL from files: a revoked client certificate is refused at the handshake, a good one passes', async () => {
    const s = await serve(fileValidation(f.ca.rootFile, f.crlFile));
    expect((await mtlsClient(s.port, f.good, f.ca.rootPem)).data).toBe('ok');
    expect((await mtlsClient(s.port, f.revoked, f.ca.rootPem)).data).toBe('');
    expect(s.accepted).toHaveLength(1);
    expect(s.failures.map((e) => [e.code, e.message])).toEqual([
      ['PETREL_TLS_HANDSHAKE', 'client certificate not trusted: CERT_REVOKED'],
    ]);
  });

  it('a gateway listener (MUTUAL, caCrl): HTTPS with a good client certificate is routed, a revoked one never gets a response', async () => {
    const backend = await httpBackend('app');
    const listener = httpListener('https', {
      route_config: { name: 'r', virtual_hosts: [vhost('r', ['*'], [toCluster('app')])] },
    });
    (listener.filter_chains as Obj[])[0]!.transport_socket = serverSocket(
      f.good,
      fileValidation(f.ca.rootFile, f.crlFile),
    );
    const gateway = await startProxy({
      clusters: [staticCluster('app', [['127.0.0.1', backend.port]])],
      listeners: [listener],
    });
    const get = (cert: OpensslCert) =>
      new Promise<string>((resolve) => {
        const req = https.get(
          {
            host: '127.0.0.1',
            port: gateway.port(),
            servername: 'localhost',
            cert: cert.certPem,
            key: cert.keyPem,
            ca: f.ca.rootPem,
            agent: false,
          },
          (res) => resolve(String(res.statusCode)),
        );
        req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      });
    try {
      expect(await get(f.good)).toBe('200');
      expect(backend.seen).toHaveLength(1);
      // TLS 1.3: the client's handshake is done before the server checks its certificate,
      // so the refusal shows as the connection closing under the request.
      expect(await get(f.revoked)).toMatch(/^E[A-Z]+$/);
      expect(backend.seen).toHaveLength(1);
    } finally {
      gateway.dp.close();
      await backend.close();
    }
  });

  it('credentialName: the CRL comes inline in the -cacert secret pilot serves', async () => {
    const store = new SecretStore();
    applySecrets(store, [caSecret('kubernetes://gw-cacert', f.ca.rootPem, f.crlRevoked)]);
    const s = await serve(
      {
        combined_validation_context: {
          default_validation_context: {},
          validation_context_sds_secret_config: {
            name: 'kubernetes://gw-cacert',
            sds_config: { ads: {} },
          },
        },
      },
      store,
    );
    expect((await mtlsClient(s.port, f.good, f.ca.rootPem)).data).toBe('ok');
    expect((await mtlsClient(s.port, f.revoked, f.ca.rootPem)).data).toBe('');
    // A Secret whose CRL was updated to list nothing: the same client now passes.
    applySecrets(store, [caSecret('kubernetes://gw-cacert', f.ca.rootPem, f.crlNone)]);
    expect((await mtlsClient(s.port, f.revoked, f.ca.rootPem)).data).toBe('ok');
  });

  it('a secret with a CRL that does not parse is rejected naming the field; the last good set stays', async () => {
    const store = new SecretStore();
    applySecrets(store, [caSecret('kubernetes://gw-cacert', f.ca.rootPem, f.crlRevoked)]);
    const bad = caSecret('kubernetes://gw-cacert', f.ca.rootPem, 'garbage');
    expect(store.apply(new Map([['kubernetes://gw-cacert', bad as Obj]]))).toEqual([
      'kubernetes://gw-cacert: validation_context.crl: no PEM CRL (BEGIN X509 CRL) found',
    ]);
    const s = await serve(
      {
        combined_validation_context: {
          default_validation_context: {},
          validation_context_sds_secret_config: sds('kubernetes://gw-cacert'),
        },
      },
      store,
    );
    expect((await mtlsClient(s.port, f.revoked, f.ca.rootPem)).data).toBe('');
  });

  describe('a CRL file over time', () => {
    let file: string;
    let store: SecretStore;
    let warnings: string[];
    let s: TlsServer;

    beforeEach(async () => {
      file = join(f.ca.dir, `changing-${open.length}.crl`);
      writeFileSync(file, f.crlNone);
      store = new SecretStore();
      warnings = [];
      store.onWarning = (line) => warnings.push(line);
      s = await serve(fileValidation(f.ca.rootFile, file), store);
    });

    it('is read again when a new secret set arrives; a file gone bad keeps the last good CRLs', async () => {
      expect((await mtlsClient(s.port, f.revoked, f.ca.rootPem)).data).toBe('ok');
      writeFileSync(file, f.crlRevoked);
      applySecrets(store, []);
      expect((await mtlsClient(s.port, f.revoked, f.ca.rootPem)).data).toBe('');
      writeFileSync(file, 'truncated');
      applySecrets(store, []);
      expect((await mtlsClient(s.port, f.revoked, f.ca.rootPem)).data).toBe('');
      expect((await mtlsClient(s.port, f.good, f.ca.rootPem)).data).toBe('ok');
      expect(warnings).toEqual([
        `crl: ${file}: no PEM CRL (BEGIN X509 CRL) found; the last good CRLs stay in force`,
      ]);
    });

    it('a session made before the revocation does not resume after it', async () => {
      const first = await mtlsClient(s.port, f.revoked, f.ca.rootPem);
      expect(first.data).toBe('ok');
      // Control: a new secret set alone (same CRLs) still resumes the session.
      applySecrets(store, []);
      const again = await mtlsClient(s.port, f.revoked, f.ca.rootPem, first.session);
      expect([again.data, again.reused]).toEqual(['ok', true]);
      writeFileSync(file, f.crlRevoked);
      applySecrets(store, []);
      const after = await mtlsClient(s.port, f.revoked, f.ca.rootPem, first.session);
      expect([after.data, after.reused]).toEqual(['', false]);
    });
  });
});
