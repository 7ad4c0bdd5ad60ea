// Options of the proxy's workload identity (WorkloadIdentity).
import type { BackoffOptions } from '../agent/backoff.ts';
import type { DataPlane } from '../types.ts';

/** Istio's projected service-account token for the CA (audience istio-ca). */
export const ISTIO_TOKEN_PATH = '/var/run/secrets/tokens/istio-token';

export interface IdentityLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface WorkloadIdentityOptions {
  namespace: string;
  serviceAccount: string;
  trustDomain?: string;
  ca: {
    /** host:port of pilot's 15012. */
    address: string;
    /** The mesh root, inline or as a file (Istio mounts istio-ca-root-cert's root-cert.pem); the file is re-read per call. */
    rootCertPem?: string;
    rootCertFile?: string;
    serverName?: string;
    timeoutMs?: number;
  };
  /** A bootstrap token, or a token file re-read per call (projected tokens are refreshed by the kubelet). */
  token?: string;
  tokenFile?: string;
  /** Requested lifetime in seconds; 0 or absent: the CA's default. */
  validitySeconds?: number;
  /** Rotate when this fraction of the lifetime has passed (0.5). */
  rotationRatio?: number;
  /** Rotate up to this fraction earlier, at random, so proxies started together do not renew together (0.1). */
  rotationJitter?: number;
  retry?: BackoffOptions;
  /** start() gives up after this many failed attempts; default: keeps trying until stop(). */
  initialAttempts?: number;
  dataPlanes?: DataPlane[];
  metadata?: Record<string, unknown>;
  log?: IdentityLogger;
  random?: () => number;
}
