// Gateway servers that terminate TLS (SIMPLE, MUTUAL, OPTIONAL_MUTUAL, ISTIO_MUTUAL):
// the DownstreamTlsContext of their filter chain and the SNI names the chain
// matches, as Istio's gateway builder makes them. Certificates come over SDS:
// credentialName(s) from Kubernetes Secrets that pilot serves over ADS
// (`kubernetes://NAME`, the CA as `kubernetes://NAME-cacert`), file paths through
// the proxy's own SDS (`file-cert:…`, `file-root:…`), ISTIO_MUTUAL with the
// gateway's workload certificate. caCrl names a CRL file the proxy reads, for the
// modes that verify client certificates with files or the workload root (MUTUAL,
// OPTIONAL_MUTUAL, ISTIO_MUTUAL), as Istio's ApplyToCommonTLSContext has it.
import type { Server } from '../../../api/istio/index.ts';
import type { Gateway } from '../../model/types.ts';
import {
  SDS_ROOT_CA,
  SDS_WORKLOAD_CERT,
  credentialCaSecret,
  credentialSecret,
  fileCertSecret,
  fileRootSecret,
  sdsSecretConfig,
} from '../cluster/sds.ts';
import { DOWNSTREAM_TLS_CONTEXT } from '../common/type-urls.ts';
import { ISTIO_CIPHER_SUITES } from './inbound-tls.ts';

export const TERMINATING_MODES = new Set(['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL', 'ISTIO_MUTUAL']);

const VERSIONS: Record<string, string> = {
  TLS_AUTO: 'TLS_AUTO',
  TLSV1_0: 'TLSv1_0',
  TLSV1_1: 'TLSv1_1',
  TLSV1_2: 'TLSv1_2',
  TLSV1_3: 'TLSv1_3',
};

/** Istio's RDS name for an HTTPS server: `https.PORT.PORTNAME.GATEWAY.NAMESPACE`. */
export function httpsRouteName(server: Server, gateway: Gateway): string {
  return `https.${server.port.number}.${server.port.name ?? ''}.${gateway.metadata.name}.${gateway.metadata.namespace ?? ''}`;
}

/** The SNI names of a server: its hosts without the `namespace/` part; none when one is `*`. */
export function serverNames(server: Server): string[] {
  const names = server.hosts.map((h) => (h.includes('/') ? h.slice(h.indexOf('/') + 1) : h));
  return names.includes('*') ? [] : [...new Set(names.map((n) => n.toLowerCase()))];
}

/**
 * Whether the server has what its mode needs: a certificate, and a CA for MUTUAL and
 * OPTIONAL_MUTUAL (both verify client certificates; api/istio/networking/gateway.ts
 * requires the same).
 */
export function hasCertificates(server: Server): boolean {
  const tls = server.tls;
  if (!tls) return false;
  if (tls.mode === 'ISTIO_MUTUAL') return true;
  if (usesCredentials(server)) return true;
  if (!tls.serverCertificate || !tls.privateKey) return false;
  return tls.mode === 'SIMPLE' || Boolean(tls.caCertificates);
}

/**
 * Whether the certificates come from Kubernetes Secrets. Their CRL, if any, then comes
 * with the CA secret (`ca.crl`, pilot/translate/router/credentials.ts) and caCrl, a
 * file path, is not used, as in Istio's ApplyCredentialSDSToServerCommonTLSContext.
 */
function usesCredentials(server: Server): boolean {
  const tls = server.tls!;
  return tls.mode !== 'ISTIO_MUTUAL' && Boolean(tls.credentialNames?.length || tls.credentialName);
}

function certificateSecrets(server: Server): string[] {
  const tls = server.tls!;
  if (tls.mode === 'ISTIO_MUTUAL') return [SDS_WORKLOAD_CERT];
  const names = tls.credentialNames?.length
    ? tls.credentialNames
    : tls.credentialName
      ? [tls.credentialName]
      : [];
  if (names.length > 0) return names.map(credentialSecret);
  return [fileCertSecret(tls.serverCertificate!, tls.privateKey!)];
}

function caSecret(server: Server): string {
  const tls = server.tls!;
  if (tls.mode === 'ISTIO_MUTUAL') return SDS_ROOT_CA;
  const name = tls.credentialNames?.[0] ?? tls.credentialName;
  return name ? credentialCaSecret(name) : fileRootSecret(tls.caCertificates!);
}

/** The transport socket terminating a server's TLS (Istio's buildGatewayListenerTLSContext). */
export function serverTransportSocket(server: Server, http: boolean): Record<string, unknown> {
  const tls = server.tls!;
  const mutual = tls.mode !== 'SIMPLE';
  const common: Record<string, unknown> = {
    tls_params: {
      tls_minimum_protocol_version: VERSIONS[tls.minProtocolVersion ?? 'TLSV1_2'],
      ...(tls.maxProtocolVersion
        ? { tls_maximum_protocol_version: VERSIONS[tls.maxProtocolVersion] }
        : {}),
      cipher_suites: tls.cipherSuites?.length ? tls.cipherSuites : ISTIO_CIPHER_SUITES,
    },
    tls_certificate_sds_secret_configs: certificateSecrets(server).map(sdsSecretConfig),
  };
  if (http) common.alpn_protocols = ['h2', 'http/1.1'];
  if (mutual) {
    const defaults: Record<string, unknown> = {};
    if (tls.subjectAltNames?.length)
      defaults.match_subject_alt_names = tls.subjectAltNames.map((exact) => ({ exact }));
    if (tls.verifyCertificateSpki?.length)
      defaults.verify_certificate_spki = tls.verifyCertificateSpki;
    if (tls.verifyCertificateHash?.length)
      defaults.verify_certificate_hash = tls.verifyCertificateHash;
    if (tls.caCrl && !usesCredentials(server)) defaults.crl = { filename: tls.caCrl };
    common.combined_validation_context = {
      default_validation_context: defaults,
      validation_context_sds_secret_config: sdsSecretConfig(caSecret(server)),
    };
  }
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': DOWNSTREAM_TLS_CONTEXT,
      common_tls_context: common,
      require_client_certificate: { value: tls.mode === 'MUTUAL' || tls.mode === 'ISTIO_MUTUAL' },
    },
  };
}
