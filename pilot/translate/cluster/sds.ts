// Where TLS contexts get their certificates: SDS secrets by name, with Istio's names
// and Istio's two sources.
//
// - The proxy's own secrets: `default` (workload certificate), `ROOTCA` (mesh root),
//   `file-cert:CERT~KEY` / `file-root:PATH` (DestinationRule certificates given as
//   file paths). Istio points these at the agent's SDS server through the bootstrap
//   cluster `sds-grpc`; so does Petrel. Petrel's agent needs no socket for it: the
//   proxy's identity module (sidecar/identity) hands its Secrets straight to the
//   data path, which resolves any SDS name from the secrets it holds and reads the
//   file-* names from disk. Because the source is not ADS, the agent never asks
//   pilot for them. A real Envoy with Istio's bootstrap (which defines `sds-grpc`)
//   reads the same config unchanged.
// - Gateway and DestinationRule credentials (`kubernetes://NAME`,
//   `kubernetes://NAME-cacert`): pilot serves them over the ADS stream, as Istio's
//   SDS generator does (pilot/translate/router/credentials.ts).

export const SDS_WORKLOAD_CERT = 'default';
export const SDS_ROOT_CA = 'ROOTCA';
/** Istio's bootstrap cluster for the agent's SDS server. */
export const SDS_AGENT_CLUSTER = 'sds-grpc';
const CREDENTIAL_PREFIX = 'kubernetes://';

/** Istio's SdsSecretConfig for a secret the proxy itself provides (ConstructSdsSecretConfig). */
function agentSecretConfig(name: string): Record<string, unknown> {
  return {
    name,
    sds_config: {
      api_config_source: {
        api_type: 'GRPC',
        set_node_on_first_message_only: true,
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: SDS_AGENT_CLUSTER } }],
      },
      initial_fetch_timeout: '0s',
      resource_api_version: 'V3',
    },
  };
}

/** Istio's SdsSecretConfig for a credential pilot serves over ADS (SDSAdsConfig). */
function adsSecretConfig(name: string): Record<string, unknown> {
  return { name, sds_config: { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' } };
}

export function sdsSecretConfig(name: string): Record<string, unknown> {
  return isCredentialSecret(name) ? adsSecretConfig(name) : agentSecretConfig(name);
}

/** Istio's names for certificates read from files the DestinationRule names. */
export function fileRootSecret(caPath: string): string {
  return `file-root:${caPath}`;
}

export function fileCertSecret(certPath: string, keyPath: string): string {
  return `file-cert:${certPath}~${keyPath}`;
}

/** credentialName → Istio's Kubernetes secret references (`-cacert` holds the CA). */
export function credentialSecret(name: string): string {
  return `${CREDENTIAL_PREFIX}${name}`;
}

export function credentialCaSecret(name: string): string {
  return `${CREDENTIAL_PREFIX}${name}-cacert`;
}

export function isCredentialSecret(name: string): boolean {
  return name.startsWith(CREDENTIAL_PREFIX);
}

/** The credentialName behind an SDS name, and whether the CA part is asked for. */
export function parseCredentialSecret(
  name: string,
): { credential: string; ca: boolean } | undefined {
  if (!isCredentialSecret(name)) return undefined;
  const rest = name.slice(CREDENTIAL_PREFIX.length);
  return rest.endsWith('-cacert')
    ? { credential: rest.slice(0, -'-cacert'.length), ca: true }
    : { credential: rest, ca: false };
}
