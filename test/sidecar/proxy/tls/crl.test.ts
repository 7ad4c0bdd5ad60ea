// Certificate revocation on the client side of the data path (DestinationRule caCrl):
// a server whose certificate the CRL lists is refused (503 UF through a proxy, the
// TLS error in the failure), one it does not list is served; every CA of the chain
// needs a CRL (Envoy's default); a bad CRL is a config error naming the field, and
// the last good config keeps serving.
import https from 'node:https';
import type net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Issues } from '../../../../sidecar/proxy/config/issues.ts';
import type { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import type { RequestRecord } from '../../../../sidecar/proxy/record.ts';
import { compileValidation } from '../../../../sidecar/proxy/tls/material.ts';
import { SecretStore } from '../../../../sidecar/proxy/tls/secret-store.ts';
import { send } from '../support/backends.ts';
import {
  apply,
  httpListener,
  startProxy,
  staticCluster,
  toCluster,
  TypeUrl,
  vhost,
} from '../support/envoy.ts';
import {
  crlFixture,
  fileValidation,
  serverSocket,
  simpleClientSocket,
  type CrlFixture,
} from './support/crl-fixture.ts';
import type { OpensslCert } from './support/openssl-ca.ts';
import { dial, downstreamTls, tlsServer, upstreamTls, type TlsServer } from './support/pair.ts';

type Obj = Record<string, unknown>;

const compileIssues = (v: Obj): string[] => {
  const issues = new Issues();
  compileValidation(v, issues);
  return issues.lines;
};

describe('CRLs checked on upstream TLS', () => {
  let f: CrlFixture;
  const servers: TlsServer[] = [];
  let goodPort: number;
  let revokedPort: number;

  const serve = async (cert: OpensslCert): Promise<number> => {
    const s = await tlsServer(downstreamTls(serverSocket(cert), new SecretStore()));
    servers.push(s);
    return s.port;
  };

  beforeAll(async () => {
    f = crlFixture();
    goodPort = await serve(f.good);
    revokedPort = await serve(f.revoked);
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
    f?.close();
  });

  it('refuses a server whose certificate the CRL lists, with the TLS error, and serves the others', async () => {
    const client = upstreamTls(
      simpleClientSocket(fileValidation(f.ca.rootFile, f.crlFile)),
      new SecretStore(),
    );
    await expect(dial(client, goodPort)).resolves.toMatchObject({ reused: false });
    await expect(dial(client, revokedPort)).rejects.toMatchObject({ code: 'CERT_REVOKED' });
  });

  it('serves the same server when the CRL does not list it', async () => {
    const none = join(f.ca.dir, 'none.crl');
    writeFileSync(none, f.crlNone);
    const client = upstreamTls(
      simpleClientSocket(fileValidation(f.ca.rootFile, none)),
      new SecretStore(),
    );
    await expect(dial(client, revokedPort)).resolves.toBeDefined();
  });

  it('a session verified under other CRLs is not resumed by a context built with the new ones', async () => {
    const file = join(f.ca.dir, 'session.crl');
    writeFileSync(file, f.crlNone);
    const store = new SecretStore();
    const socket = simpleClientSocket(fileValidation(f.ca.rootFile, file));
    const before = upstreamTls(socket, store);
    await dial(before, revokedPort);
    await expect(dial(before, revokedPort)).resolves.toMatchObject({ reused: true });
    // The same TLS config in a cluster built anew (another field changed) reads the file again.
    writeFileSync(file, f.crlRevoked);
    await expect(dial(upstreamTls(socket, store), revokedPort)).rejects.toMatchObject({
      code: 'CERT_REVOKED',
    });
  });

  it('uses every CRL of a file; every CA of the chain needs one (whole-chain checking)', async () => {
    const inter = f.ca.intermediate('issuing');
    const leaf = inter.issue('deep');
    const revokedLeaf = inter.issue('deep-revoked');
    inter.revoke(revokedLeaf);
    const both = join(f.ca.dir, 'both.crl');
    const interOnly = join(f.ca.dir, 'inter-only.crl');
    writeFileSync(both, f.crlNone + inter.crl());
    writeFileSync(interOnly, inter.crl());
    const leafPort = await serve(leaf);
    const revokedLeafPort = await serve(revokedLeaf);
    const client = (crl: string) =>
      upstreamTls(simpleClientSocket(fileValidation(f.ca.rootFile, crl)), new SecretStore());
    await expect(dial(client(both), leafPort)).resolves.toBeDefined();
    // The intermediate's CRL comes second in the file: node alone would read only the first.
    await expect(dial(client(both), revokedLeafPort)).rejects.toMatchObject({
      code: 'CERT_REVOKED',
    });
    await expect(dial(client(interOnly), leafPort)).rejects.toMatchObject({
      code: 'UNABLE_TO_GET_CRL',
    });
  });

  it('takes CRLs carried in the trusted_ca bundle too, as Envoy does', async () => {
    const client = upstreamTls(
      simpleClientSocket({
        validation_context: { trusted_ca: { inline_string: f.ca.rootPem + f.crlRevoked } },
      }),
      new SecretStore(),
    );
    await expect(dial(client, revokedPort)).rejects.toMatchObject({ code: 'CERT_REVOKED' });
    await expect(dial(client, goodPort)).resolves.toBeDefined();
  });

  it('a CRL that cannot be used is one config error naming the field', () => {
    const garbage = join(f.ca.dir, 'garbage.crl');
    writeFileSync(garbage, '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n');
    expect(compileIssues({ crl: { filename: garbage } })).toEqual([
      `crl: ${garbage}: CRL 1 does not parse: Failed to parse CRL`,
    ]);
    expect(compileIssues({ crl: { filename: join(f.ca.dir, 'missing.crl') } })).toEqual([
      `crl.filename: cannot read ${join(f.ca.dir, 'missing.crl')}: ENOENT`,
    ]);
    expect(compileIssues({ crl: { inline_string: f.ca.rootPem } })).toEqual([
      'crl: no PEM CRL (BEGIN X509 CRL) found',
    ]);
    expect(compileIssues({ crl: { inline_string: f.crlRevoked } })).toEqual([]);
  });

  it('only_verify_leaf_cert_crl is refused: node checks the CRLs of the whole chain', () => {
    expect(
      compileIssues({ crl: { inline_string: f.crlRevoked }, only_verify_leaf_cert_crl: true }),
    ).toEqual([
      'only_verify_leaf_cert_crl: only_verify_leaf_cert_crl is not supported: node checks the CRLs of the whole chain',
    ]);
  });

  describe('through a proxy', () => {
    let dp: ProxyDataPlane;
    let url: (path?: string, listener?: string) => string;
    let backends: https.Server[];
    const records: RequestRecord[] = [];

    const httpsBackend = async (cert: OpensslCert): Promise<number> => {
      const s = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (_q, r) => r.end());
      await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
      backends.push(s);
      return (s.address() as net.AddressInfo).port;
    };
    const tlsCluster = (name: string, port: number, crl: string) =>
      staticCluster(name, [['127.0.0.1', port]], {
        transport_socket: simpleClientSocket(fileValidation(f.ca.rootFile, crl)),
      });
    const listener = (name: string) =>
      httpListener(name, {
        route_config: { name, virtual_hosts: [vhost(name, ['*'], [toCluster(name)])] },
      });

    beforeAll(async () => {
      backends = [];
      const good = await httpsBackend(f.good);
      const revoked = await httpsBackend(f.revoked);
      const started = await startProxy(
        {
          clusters: [
            tlsCluster('good', good, f.crlFile),
            tlsCluster('revoked', revoked, f.crlFile),
          ],
          listeners: [listener('good'), listener('revoked')],
        },
        { onRequestComplete: (r) => records.push(r) },
      );
      dp = started.dp;
      url = started.url;
    });

    afterAll(() => {
      dp?.close();
      for (const b of backends ?? []) b.close();
    });

    it('503 UF to the revoked server, 200 to the good one', async () => {
      expect((await send(url('/', 'good'), { fresh: true })).status).toBe(200);
      records.length = 0;
      expect((await send(url('/', 'revoked'), { fresh: true })).status).toBe(503);
      expect(records.at(-1)!.flags).toContain('UF');
      expect(records.at(-1)!.upstreamTransportFailureReason).toBe(
        'TLS_error:|CERT_REVOKED:TLS_error_end',
      );
      expect(records.at(-1)!.responseCodeDetails).toBe(
        'upstream_reset_before_response_started{remote_connection_failure|TLS_error:|CERT_REVOKED:TLS_error_end}',
      );
    });

    it('a bad CRL file in a new cluster config is NACKed naming the field; the last good config serves', async () => {
      const garbage = join(f.ca.dir, 'garbage.crl');
      writeFileSync(garbage, 'not a CRL');
      const errors = await apply(dp, TypeUrl.Cluster, [
        tlsCluster('good', 1, garbage),
        tlsCluster('revoked', 1, f.crlFile),
      ]);
      expect(errors).toEqual([
        `good: transport_socket.typed_config.common_tls_context.combined_validation_context.default_validation_context.crl: ${garbage}: no PEM CRL (BEGIN X509 CRL) found`,
      ]);
      expect((await send(url('/', 'good'), { fresh: true })).status).toBe(200);
      expect((await send(url('/', 'revoked'), { fresh: true })).status).toBe(503);
    });
  });
});
