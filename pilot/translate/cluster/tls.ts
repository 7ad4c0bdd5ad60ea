// DestinationRule tls → the cluster's transport_socket (UpstreamTlsContext):
// ISTIO_MUTUAL with the workload certificate and mesh root over SDS and Istio's ALPN
// and SNI; SIMPLE / MUTUAL with user certificates (files or credentialName) as
// Istio names them. Without a DestinationRule tls, Istio's auto mTLS: the cluster
// gets transport_socket_matches, ISTIO_MUTUAL to endpoints labelled tlsMode=istio
// (workloads with a sidecar) and plaintext to the rest (buildAutoMtlsSettings).
// Proxyless gRPC takes certificates from its bootstrap's certificate providers
// instead (grpc-js-xds rejects SDS), ISTIO_MUTUAL only. caCrl (a CRL file on the
// proxy) applies to SIMPLE and MUTUAL; Istio's ISTIO_MUTUAL ignores it, and so does
// insecureSkipVerify, which verifies nothing.
import type { ClientTLSSettings } from '../../../api/istio/index.ts';
import type { Service } from '../../model/types.ts';
import { RAW_BUFFER, UPSTREAM_TLS_CONTEXT } from '../common/type-urls.ts';
import type { BuildContext } from './context.ts';
import type { ClusterDraft } from './draft.ts';
import { isH2 } from './draft.ts';
import {
  SDS_ROOT_CA,
  SDS_WORKLOAD_CERT,
  credentialCaSecret,
  credentialSecret,
  fileCertSecret,
  fileRootSecret,
  sdsSecretConfig,
} from './sds.ts';
import { METADATA_EXCHANGE_FILTER } from '../common/envoy.ts';

export interface TlsTarget {
  /** `outbound_.9080_.v1_.reviews.default.svc.cluster.local`: Istio's mTLS SNI for the cluster. */
  istioSni: string;
  /** SPIFFE identities of the destination workloads (used when the rule names none). */
  identities: readonly string[];
  /** Auto mTLS applies when no DestinationRule sets tls (see autoMtlsApplies). */
  autoMtls?: boolean;
}

/** The endpoint metadata Istio's tlsMode-istio match compares (envoy.transport_socket_match). */
const ISTIO_TLS_MODE_MATCH = { tlsMode: 'istio' };

const RAW_BUFFER_SOCKET = {
  name: 'envoy.transport_sockets.raw_buffer',
  typed_config: {
    '@type': RAW_BUFFER,
  },
};

/**
 * Istio's conditions for auto mTLS: on in the mesh config (enableAutoMtls), a
 * service inside the mesh, and no mesh or namespace PeerAuthentication that makes
 * its workloads DISABLE (BestEffortInferServiceMTLSMode).
 */
export function autoMtlsApplies(ctx: BuildContext, service: Service): boolean {
  if (!ctx.push.mesh.enableAutoMtls || service.meshExternal) return false;
  return (ctx.push.serviceMtlsMode?.(service) ?? 'PERMISSIVE') !== 'DISABLE';
}

const TLS_PARAMS = {
  tls_minimum_protocol_version: 'TLSv1_2',
  tls_maximum_protocol_version: 'TLSv1_3',
};

function exactMatchers(names: readonly string[]): Record<string, unknown>[] {
  return names.map((exact) => ({ exact }));
}

function validationContext(sans: readonly string[]): Record<string, unknown> {
  return sans.length > 0 ? { match_subject_alt_names: exactMatchers(sans) } : {};
}

function transportSocket(context: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': UPSTREAM_TLS_CONTEXT, ...context },
  };
}

export function applyTls(
  draft: ClusterDraft,
  tls: ClientTLSSettings | undefined,
  target: TlsTarget,
): void {
  if (!tls) return applyAutoMtls(draft, target);
  if (tls.mode === 'DISABLE') return;
  const context =
    tls.mode === 'ISTIO_MUTUAL' ? istioMutual(draft, tls, target) : userTls(draft, tls);
  draft.cluster.transport_socket = transportSocket(context);
}

/**
 * tlsMode-istio then the catch-all tlsMode-disabled, as Istio names them. Clusters
 * of original destinations (passthrough, headless) are left alone, as in Istio.
 */
function applyAutoMtls(draft: ClusterDraft, target: TlsTarget): void {
  if (!target.autoMtls || draft.cluster.type === 'ORIGINAL_DST') return;
  draft.cluster.transport_socket_matches = [
    {
      name: 'tlsMode-istio',
      match: ISTIO_TLS_MODE_MATCH,
      transport_socket: transportSocket(istioMutual(draft, { mode: 'ISTIO_MUTUAL' }, target)),
    },
    { name: 'tlsMode-disabled', match: {}, transport_socket: RAW_BUFFER_SOCKET },
  ];
}

function istioMutual(
  draft: ClusterDraft,
  tls: ClientTLSSettings,
  target: TlsTarget,
): Record<string, unknown> {
  const sans = tls.subjectAltNames?.length ? tls.subjectAltNames : target.identities;
  // Istio's TCPClusterMx: with ALPN istio-peer-exchange negotiated, the client side of
  // the metadata exchange names the peer workload of TCP connections.
  draft.cluster.filters = [METADATA_EXCHANGE_FILTER];
  return {
    common_tls_context: {
      tls_params: TLS_PARAMS,
      tls_certificate_sds_secret_configs: [sdsSecretConfig(SDS_WORKLOAD_CERT)],
      combined_validation_context: {
        default_validation_context: validationContext(sans),
        validation_context_sds_secret_config: sdsSecretConfig(SDS_ROOT_CA),
      },
      // istio-peer-exchange tells an Istio server the client can exchange peer metadata.
      alpn_protocols: isH2(draft)
        ? ['istio-peer-exchange', 'istio', 'h2']
        : ['istio-peer-exchange', 'istio'],
    },
    sni: tls.sni || target.istioSni,
  };
}

function userTls(draft: ClusterDraft, tls: ClientTLSSettings): Record<string, unknown> {
  const mutual = tls.mode === 'MUTUAL';
  const common: Record<string, unknown> = { tls_params: TLS_PARAMS };
  let rootSecret: string;
  if (tls.credentialName) {
    if (mutual)
      common.tls_certificate_sds_secret_configs = [
        sdsSecretConfig(credentialSecret(tls.credentialName)),
      ];
    rootSecret = credentialCaSecret(tls.credentialName);
  } else {
    if (mutual && tls.clientCertificate && tls.privateKey) {
      common.tls_certificate_sds_secret_configs = [
        sdsSecretConfig(fileCertSecret(tls.clientCertificate, tls.privateKey)),
      ];
    }
    // No CA given: verify against the system roots, as Istio does.
    rootSecret = fileRootSecret(tls.caCertificates || 'system');
  }
  const sans = tls.subjectAltNames ?? [];
  if (tls.insecureSkipVerify) common.validation_context = {};
  else {
    const defaults = validationContext(sans);
    // caCrl is a file on the proxy, read by the proxy itself as Istio's constructUpstreamTLS
    // has it; a credentialName's CRL comes in its SDS secret instead (ca.crl), and
    // api/istio/networking/destination-rule.ts rejects caCrl beside a credentialName.
    if (tls.caCrl && !tls.credentialName) defaults.crl = { filename: tls.caCrl };
    common.combined_validation_context = {
      default_validation_context: defaults,
      validation_context_sds_secret_config: sdsSecretConfig(rootSecret),
    };
  }
  if (isH2(draft)) common.alpn_protocols = ['h2'];
  const context: Record<string, unknown> = { common_tls_context: common };
  if (tls.sni) context.sni = tls.sni;
  else {
    // No SNI given: send the request's Host as SNI and check the certificate against it.
    draft.http.upstream.auto_sni = true;
    if (sans.length === 0 && !tls.insecureSkipVerify)
      draft.http.upstream.auto_san_validation = true;
  }
  return context;
}

/** Proxyless gRPC ISTIO_MUTUAL: certificate provider instances from the gRPC bootstrap. */
export function applyGrpcTls(
  draft: ClusterDraft,
  tls: ClientTLSSettings | undefined,
  target: TlsTarget,
): void {
  if (tls?.mode !== 'ISTIO_MUTUAL') return;
  const sans = tls.subjectAltNames?.length ? tls.subjectAltNames : target.identities;
  draft.cluster.transport_socket = transportSocket({
    common_tls_context: {
      tls_certificate_provider_instance: {
        instance_name: 'default',
        certificate_name: SDS_WORKLOAD_CERT,
      },
      // A plain validation_context: the combined form requires an SDS secret config.
      validation_context: {
        ...validationContext(sans),
        ca_certificate_provider_instance: {
          instance_name: 'default',
          certificate_name: SDS_ROOT_CA,
        },
      },
    },
  });
}
