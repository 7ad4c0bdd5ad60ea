// Where TLS contexts get their certificates: SDS secrets by name, Istio's names
// (`default` for the workload certificate, `ROOTCA` for the mesh root, `file-root:…`,
// `file-cert:…`, `kubernetes://…` for user-provided ones), requested over the same
// ADS stream the proxy already has (Petrel's agent serves no separate SDS socket).

export const SDS_WORKLOAD_CERT = 'default';
export const SDS_ROOT_CA = 'ROOTCA';

export function sdsSecretConfig(name: string): Record<string, unknown> {
  return { name, sds_config: { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' } };
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
  return `kubernetes://${name}`;
}

export function credentialCaSecret(name: string): string {
  return `kubernetes://${name}-cacert`;
}
