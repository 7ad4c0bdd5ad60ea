// `petrel proxy`'s workload identity: the flags Istio's pilot-agent takes from its
// environment (CA_ADDR, XDS over TLS to istiod:15012, the mounted root certificate
// and the projected service-account token), the TLS credentials for xDS, and the
// WorkloadIdentity that keeps the proxy's certificate fresh and hands it to the data
// path as the SDS Secrets `default` and `ROOTCA`, merged with the Secrets pilot sends.
import * as grpc from '@grpc/grpc-js';
import { existsSync, readFileSync } from 'node:fs';
import type { ParseArgsOptionsConfig } from 'node:util';
import type { NodeIdentity } from '../../sidecar/agent/node-identity.ts';
import { ISTIO_TOKEN_PATH, WorkloadIdentity } from '../../sidecar/identity/index.ts';
import type { IdentityLogger } from '../../sidecar/identity/index.ts';
import type { DataPlane } from '../../sidecar/types.ts';
import { CliError } from '../errors.ts';

/** Where Istio mounts the mesh root (the istio-ca-root-cert ConfigMap). */
export const ISTIO_ROOT_CERT_PATH = '/var/run/secrets/istio/root-cert.pem';

export const IDENTITY_FLAG_OPTIONS = {
  'xds-tls': { type: 'boolean' },
  'ca-address': { type: 'string' },
  'ca-server-name': { type: 'string' },
  'root-cert': { type: 'string' },
  'token-file': { type: 'string' },
  'bootstrap-token': { type: 'string' },
  'trust-domain': { type: 'string' },
  'cert-ttl': { type: 'string' },
} as const satisfies ParseArgsOptionsConfig;

export const IDENTITY_FLAG_HELP = [
  "  --xds-tls                 xDS over TLS (pilot's 15012), pilot verified against --root-cert",
  '  --ca-address HOST:PORT    the mesh CA (default: the xDS address with --xds-tls; none: no',
  '                            workload certificate, so the proxy serves plaintext only)',
  '  --ca-server-name NAME     name the CA certificate must carry when the address is not one of its SANs',
  `  --root-cert FILE          mesh root certificate (default ${ISTIO_ROOT_CERT_PATH} if present)`,
  `  --token-file FILE         service-account token for the CA (default ${ISTIO_TOKEN_PATH} if present)`,
  '  --bootstrap-token TOKEN   a bootstrap token for the CA instead (file mode: pilot --bootstrap-tokens)',
  '  --trust-domain NAME       SPIFFE trust domain of the certificate (default cluster.local)',
  "  --cert-ttl SECONDS        requested certificate lifetime (default: the CA's, 24h); rotated at half",
].join('\n');

export interface IdentityConfig {
  xdsTls: boolean;
  rootCertFile: string | undefined;
  ca:
    | {
        address: string;
        serverName: string | undefined;
        token: string | undefined;
        tokenFile: string | undefined;
        trustDomain: string | undefined;
        validitySeconds: number | undefined;
      }
    | undefined;
}

function text(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** The identity flags, checked: a missing root or token is one line naming the flag. */
export function identityConfigFromFlags(
  values: Record<string, unknown>,
  xdsAddress: string,
  exists: (path: string) => boolean = existsSync,
): IdentityConfig {
  const xdsTls = values['xds-tls'] === true;
  const rootCertFile =
    text(values, 'root-cert') ?? (exists(ISTIO_ROOT_CERT_PATH) ? ISTIO_ROOT_CERT_PATH : undefined);
  // Istio's CA_ADDR defaults to the discovery address: istiod serves both on 15012.
  const caAddress = text(values, 'ca-address') ?? (xdsTls ? xdsAddress : undefined);
  if ((xdsTls || caAddress) && !rootCertFile)
    throw new CliError(
      `--root-cert FILE is needed to verify pilot${xdsTls ? ' (--xds-tls)' : ''} and the CA (${ISTIO_ROOT_CERT_PATH} is not there)`,
    );
  if (!caAddress) return { xdsTls, rootCertFile, ca: undefined };
  const token = text(values, 'bootstrap-token');
  const tokenFile =
    text(values, 'token-file') ??
    (!token && exists(ISTIO_TOKEN_PATH) ? ISTIO_TOKEN_PATH : undefined);
  if (!token && !tokenFile)
    throw new CliError(
      `--ca-address ${caAddress}: the CA needs --token-file FILE or --bootstrap-token TOKEN (${ISTIO_TOKEN_PATH} is not there)`,
    );
  const ttlText = text(values, 'cert-ttl');
  const ttl = ttlText === undefined ? undefined : Number(ttlText);
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl > 0))
    throw new CliError(`--cert-ttl ${ttlText}: must be a whole number of seconds above 0`);
  return {
    xdsTls,
    rootCertFile,
    ca: {
      address: caAddress,
      serverName: text(values, 'ca-server-name'),
      token,
      tokenFile,
      trustDomain: text(values, 'trust-domain'),
      validitySeconds: ttl,
    },
  };
}

/** gRPC credentials for xDS: TLS verified against the mesh root with --xds-tls, else plaintext. */
export function xdsCredentials(cfg: IdentityConfig): grpc.ChannelCredentials | undefined {
  if (!cfg.xdsTls) return undefined;
  try {
    return grpc.credentials.createSsl(readFileSync(cfg.rootCertFile!));
  } catch (err) {
    throw new CliError(`--root-cert ${cfg.rootCertFile}: ${(err as Error).message}`);
  }
}

/**
 * Gets the first certificate (retrying until the CA answers) and keeps rotating it,
 * feeding `dataPlane` (the identity side of a SecretMerge). Without a CA it says
 * once that the proxy has no certificate, and returns undefined.
 */
export async function startProxyIdentity(
  cfg: IdentityConfig,
  node: NodeIdentity,
  dataPlane: DataPlane,
  log: IdentityLogger,
): Promise<WorkloadIdentity | undefined> {
  if (!cfg.ca) {
    log.warn(
      'identity: no mesh CA (--ca-address or --xds-tls not given): no workload certificate, so this proxy makes and accepts plaintext connections only',
    );
    return undefined;
  }
  const namespace = String(node.metadata.NAMESPACE ?? 'default');
  // Kubernetes gives a pod without serviceAccountName the account `default`.
  const serviceAccount = String(node.metadata.SERVICE_ACCOUNT ?? 'default');
  return WorkloadIdentity.start({
    namespace,
    serviceAccount,
    trustDomain: cfg.ca.trustDomain,
    ca: { address: cfg.ca.address, rootCertFile: cfg.rootCertFile, serverName: cfg.ca.serverName },
    token: cfg.ca.token,
    tokenFile: cfg.ca.tokenFile,
    validitySeconds: cfg.ca.validitySeconds,
    dataPlanes: [dataPlane],
    // Istio's agent sends these so the CA can check the caller against its pod.
    metadata: {
      ClusterID: node.metadata.CLUSTER_ID,
      WorkloadName: node.metadata.WORKLOAD_NAME,
      WorkloadIP: String(node.metadata.INSTANCE_IPS ?? '').split(',')[0],
    },
    log,
  });
}
