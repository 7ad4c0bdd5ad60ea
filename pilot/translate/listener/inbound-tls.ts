// The inbound side of mesh mTLS: each workload port's filter chains per the
// PeerAuthentication in force (pilot/model/peer-authentication.ts), as Istio builds
// them. STRICT: one chain matching transport_protocol tls that terminates mTLS and
// requires a client certificate from the mesh; PERMISSIVE: that chain plus a
// plaintext one (raw_buffer) on the same port, told apart by tls_inspector; DISABLE:
// plaintext only.
import type { BuildContext } from '../cluster/context.ts';
import { SDS_ROOT_CA, SDS_WORKLOAD_CERT, sdsSecretConfig } from '../cluster/sds.ts';
import { modeForPort, type EffectiveMode } from '../../model/peer-authentication.ts';
import { DOWNSTREAM_TLS_CONTEXT } from '../common/type-urls.ts';

/** Istio's default cipher suites for mesh TLS (security.SupportedCiphers). */
export const ISTIO_CIPHER_SUITES = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-GCM-SHA256',
];

/**
 * ALPN the server offers. HTTP: h2 and http/1.1 only — "istio" would get in the way
 * of negotiating HTTP/2 (Istio's ALPNHttp). TCP: istio-peer-exchange first, so a
 * client can exchange peer metadata (ALPNDownstreamWithMxc).
 */
const ALPN_HTTP = ['h2', 'http/1.1'];
const ALPN_TCP = ['istio-peer-exchange', 'h2', 'http/1.1'];

/** The mode of one inbound workload port: the workload's policy, or PERMISSIVE when pilot has none. */
export function inboundMode(ctx: BuildContext, port: number): EffectiveMode {
  const policy = ctx.push.peerAuthentication?.(ctx.proxy);
  return policy ? modeForPort(policy, port) : 'PERMISSIVE';
}

/** Istio's inbound mTLS transport socket (BuildInboundTLS): mesh clients of this trust domain only. */
export function inboundMtlsTransportSocket(
  ctx: BuildContext,
  http: boolean,
): Record<string, unknown> {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': DOWNSTREAM_TLS_CONTEXT,
      common_tls_context: {
        tls_params: {
          tls_minimum_protocol_version: 'TLSv1_2',
          tls_maximum_protocol_version: 'TLSv1_3',
          cipher_suites: ISTIO_CIPHER_SUITES,
        },
        alpn_protocols: http ? ALPN_HTTP : ALPN_TCP,
        tls_certificate_sds_secret_configs: [sdsSecretConfig(SDS_WORKLOAD_CERT)],
        combined_validation_context: {
          default_validation_context: {
            match_subject_alt_names: [{ prefix: `spiffe://${ctx.push.mesh.trustDomain}/` }],
          },
          validation_context_sds_secret_config: sdsSecretConfig(SDS_ROOT_CA),
        },
      },
      require_client_certificate: { value: true },
    },
  };
}

/**
 * The chains of one inbound port from its plaintext chain: `chain` carries the
 * name, the destination_port match and the filters, and is copied per mode.
 */
export function inboundChainsForMode(
  ctx: BuildContext,
  port: number,
  chain: Record<string, unknown> & { filter_chain_match: Record<string, unknown> },
  http: boolean,
): Record<string, unknown>[] {
  const mode = inboundMode(ctx, port);
  if (mode === 'DISABLE') return [chain];
  const tls = {
    ...chain,
    filter_chain_match: { ...chain.filter_chain_match, transport_protocol: 'tls' },
    transport_socket: inboundMtlsTransportSocket(ctx, http),
  };
  if (mode === 'STRICT') return [tls];
  return [
    tls,
    {
      ...chain,
      filter_chain_match: { ...chain.filter_chain_match, transport_protocol: 'raw_buffer' },
    },
  ];
}

/** Whether a listener's chains need tls_inspector to tell TLS from plaintext. */
export function needsTlsInspector(chains: readonly Record<string, unknown>[]): boolean {
  return chains.some((c) => {
    const m = c.filter_chain_match as Record<string, unknown> | undefined;
    return m?.transport_protocol !== undefined || m?.server_names !== undefined;
  });
}
