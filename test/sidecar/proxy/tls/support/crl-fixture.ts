// Certificates, CRLs and TLS contexts for the revocation tests: an openssl CA with a
// good and a revoked leaf, CRL files listing nothing / the revoked leaf, and the
// contexts Istio's pilot makes of caCrl (a `crl` filename in the default validation
// context beside the `file-root:` CA over SDS) or of a credential (the CRL inline in
// the `-cacert` SDS secret).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { TypeUrl } from '../../../../../api/envoy/registry.ts';
import type { EnvoyResource } from '../../../../../sidecar/types.ts';
import { sds } from './certs.ts';
import { opensslCa, type OpensslCa, type OpensslCert } from './openssl-ca.ts';

type Obj = Record<string, unknown>;

const DOWNSTREAM =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const UPSTREAM = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

export interface CrlFixture {
  ca: OpensslCa;
  good: OpensslCert;
  revoked: OpensslCert;
  /** PEM CRLs of the CA: before the revocation (lists nothing) and after. */
  crlNone: string;
  crlRevoked: string;
  /** A CRL file the test may rewrite (starts as crlRevoked). */
  crlFile: string;
  write(file: string, content: string): void;
  close(): void;
}

export function crlFixture(): CrlFixture {
  const ca = opensslCa();
  const good = ca.issue('good');
  const revoked = ca.issue('revoked');
  const crlNone = ca.crl();
  ca.revoke(revoked);
  const crlRevoked = ca.crl();
  const crlFile = join(ca.dir, 'current.crl');
  writeFileSync(crlFile, crlRevoked);
  return {
    ca,
    good,
    revoked,
    crlNone,
    crlRevoked,
    crlFile,
    write: (file, content) => writeFileSync(file, content),
    close: () => ca.close(),
  };
}

/** Validation as pilot builds it from files: crl in the defaults, the CA as `file-root:` over SDS. */
export function fileValidation(caFile: string, crlFile: string | undefined): Obj {
  return {
    combined_validation_context: {
      default_validation_context: crlFile ? { crl: { filename: crlFile } } : {},
      validation_context_sds_secret_config: sds(`file-root:${caFile}`),
    },
  };
}

/** A DestinationRule SIMPLE transport socket (SNI localhost). */
export function simpleClientSocket(validation: Obj): Obj {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': UPSTREAM, common_tls_context: validation, sni: 'localhost' },
  };
}

/** A server transport socket presenting `cert`; with `validation`, client certificates are required. */
export function serverSocket(cert: OpensslCert, validation?: Obj): Obj {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': DOWNSTREAM,
      common_tls_context: {
        tls_certificates: [
          {
            certificate_chain: { filename: cert.certFile },
            private_key: { filename: cert.keyFile },
          },
        ],
        ...validation,
      },
      ...(validation ? { require_client_certificate: { value: true } } : {}),
    },
  };
}

/** The `-cacert` secret pilot serves for a credential whose Secret has ca.crt and ca.crl. */
export function caSecret(name: string, caPem: string, crlPem: string): EnvoyResource {
  const bytes = (s: string) => ({ inline_bytes: Buffer.from(s).toString('base64') });
  return {
    '@type': TypeUrl.Secret,
    name,
    validation_context: { trusted_ca: bytes(caPem), crl: bytes(crlPem) },
  };
}

export interface ClientResult {
  /** What the server wrote before closing ('ok' when it accepted). */
  data: string;
  reused: boolean;
  session: Buffer | undefined;
}

/** A TLS client presenting `cert` (trusting `caPem`); resolves when the server closes. */
export function mtlsClient(
  port: number,
  cert: OpensslCert,
  caPem: string,
  session?: Buffer,
): Promise<ClientResult> {
  return new Promise((resolve) => {
    let data = '';
    let reused = false;
    let latest: Buffer | undefined;
    const t = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      cert: cert.certPem,
      key: cert.keyPem,
      ca: caPem,
      session,
    });
    // Read at the handshake: node answers null once the socket has closed.
    t.once('secureConnect', () => (reused = t.isSessionReused()));
    t.on('session', (s: Buffer) => (latest = s));
    t.on('data', (d: Buffer) => (data += d.toString()));
    t.on('error', () => {});
    t.once('close', () => resolve({ data, reused, session: latest }));
  });
}
