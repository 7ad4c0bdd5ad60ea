// Certificates for the data-path TLS tests, issued by a real mesh CA (pilot/ca):
// SPIFFE workload certificates and DNS server certificates, plus the Envoy Secret
// and TLS context objects that carry them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeshCa } from '../../../../../pilot/ca/mesh-ca.ts';
import { generateP256KeyPair, privateKeyPem } from '../../../../../api/istio/ca/x509.ts';
import { createKeyAndCsr } from '../../../../../sidecar/identity/key-csr.ts';
import { TypeUrl } from '../../../../../api/envoy/registry.ts';
import type { EnvoyResource } from '../../../../../sidecar/types.ts';

export interface Issued {
  certPem: string;
  keyPem: string;
  /** The CA's root, PEM. */
  rootPem: string;
}

export interface TestCa {
  rootPem: string;
  /** A workload certificate for spiffe://cluster.local/ns/NS/sa/SA. */
  workload(namespace: string, serviceAccount: string, ttlSeconds?: number): Promise<Issued>;
  /** A server certificate for DNS names. */
  server(dns: string[]): Promise<Issued>;
  close(): void;
}

export async function testCa(): Promise<TestCa> {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-tls-ca-'));
  const ca = await MeshCa.create({ stateDir: dir });
  const rootPem = ca.rootCertPem();
  return {
    rootPem,
    async workload(namespace, serviceAccount, ttlSeconds = 3600) {
      const key = await createKeyAndCsr({
        trustDomain: 'cluster.local',
        namespace,
        serviceAccount,
      });
      const chain = await ca.signCsr(key.csrPem, { namespace, serviceAccount }, ttlSeconds);
      return { certPem: chain.slice(0, -1).join(''), keyPem: key.keyPem, rootPem };
    },
    async server(dns) {
      const keys = await generateP256KeyPair();
      const chain = await ca.issueServing(keys.publicKey, { dns, ips: [] }, 3600);
      return {
        certPem: chain.slice(0, -1).join(''),
        keyPem: await privateKeyPem(keys.privateKey),
        rootPem,
      };
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const b64 = (pem: string): { inline_bytes: string } => ({
  inline_bytes: Buffer.from(pem).toString('base64'),
});

/** Secrets `default` and `ROOTCA` as the workload identity pushes them. */
export function identitySecrets(i: Issued, cert = 'default', root = 'ROOTCA'): EnvoyResource[] {
  return [
    {
      '@type': TypeUrl.Secret,
      name: cert,
      tls_certificate: { certificate_chain: b64(i.certPem), private_key: b64(i.keyPem) },
    },
    { '@type': TypeUrl.Secret, name: root, validation_context: { trusted_ca: b64(i.rootPem) } },
  ];
}

/** Istio's SDS config: the agent's `sds-grpc` cluster. */
export function sds(name: string): Record<string, unknown> {
  return {
    name,
    sds_config: {
      api_config_source: {
        api_type: 'GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }],
      },
      resource_api_version: 'V3',
    },
  };
}

const DOWNSTREAM =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const UPSTREAM = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

/** Istio's inbound mTLS transport socket: certificate `default`, clients checked against ROOTCA. */
export function mtlsServerSocket(
  opts: { sans?: string[]; alpn?: string[]; require?: boolean } = {},
) {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': DOWNSTREAM,
      common_tls_context: {
        alpn_protocols: opts.alpn ?? ['h2', 'http/1.1'],
        tls_certificate_sds_secret_configs: [sds('default')],
        combined_validation_context: {
          default_validation_context: {
            match_subject_alt_names: (opts.sans ?? ['spiffe://cluster.local/']).map((prefix) => ({
              prefix,
            })),
          },
          validation_context_sds_secret_config: sds('ROOTCA'),
        },
      },
      require_client_certificate: { value: opts.require ?? true },
    },
  };
}

/** Istio's ISTIO_MUTUAL upstream transport socket. */
export function mtlsClientSocket(opts: { sans: string[]; sni?: string; alpn?: string[] }) {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': UPSTREAM,
      common_tls_context: {
        alpn_protocols: opts.alpn ?? ['istio-peer-exchange', 'istio'],
        tls_certificate_sds_secret_configs: [sds('default')],
        combined_validation_context: {
          default_validation_context: {
            match_subject_alt_names: opts.sans.map((exact) => ({ exact })),
          },
          validation_context_sds_secret_config: sds('ROOTCA'),
        },
      },
      sni: opts.sni ?? 'outbound_.80_._.svc.default.svc.cluster.local',
    },
  };
}
