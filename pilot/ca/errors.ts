// The mesh CA's error catalogue: one class, stable codes, one line each. Codes
// map to the gRPC status a caller of CreateCertificate sees.
import { status } from '@grpc/grpc-js';

export type CaErrorCode =
  /** No authenticator accepted the caller (no token, bad token, foreign certificate). */
  | 'PETREL_CA_UNAUTHENTICATED'
  /** The CSR asks for an identity other than the authenticated caller's. */
  | 'PETREL_CA_IDENTITY_MISMATCH'
  /** The CSR does not parse, its signature does not verify, or its key is unusable. */
  | 'PETREL_CA_BAD_CSR'
  /** The requested validity is longer than the CA allows. */
  | 'PETREL_CA_BAD_TTL'
  /** Plugged-in CA files (cacerts) missing, unreadable or inconsistent. */
  | 'PETREL_CA_CACERTS'
  /** The persisted self-signed root (file or Secret) could not be read or written. */
  | 'PETREL_CA_ROOT_STORE'
  /** The bootstrap token file is missing or malformed. */
  | 'PETREL_CA_TOKEN_FILE'
  /** The Kubernetes TokenReview call itself failed (API server unreachable, forbidden). */
  | 'PETREL_CA_TOKEN_REVIEW'
  /** Options that cannot work together, e.g. neither a state dir nor Kubernetes for the root. */
  | 'PETREL_CA_CONFIG';

const GRPC_STATUS: Record<CaErrorCode, status> = {
  PETREL_CA_UNAUTHENTICATED: status.UNAUTHENTICATED,
  PETREL_CA_IDENTITY_MISMATCH: status.PERMISSION_DENIED,
  PETREL_CA_BAD_CSR: status.INVALID_ARGUMENT,
  PETREL_CA_BAD_TTL: status.INVALID_ARGUMENT,
  PETREL_CA_CACERTS: status.INTERNAL,
  PETREL_CA_ROOT_STORE: status.INTERNAL,
  PETREL_CA_TOKEN_FILE: status.INTERNAL,
  PETREL_CA_TOKEN_REVIEW: status.UNAVAILABLE,
  PETREL_CA_CONFIG: status.INTERNAL,
};

export class CaError extends Error {
  readonly code: CaErrorCode;
  constructor(code: CaErrorCode, message: string) {
    super(message);
    this.name = 'CaError';
    this.code = code;
  }

  get grpcStatus(): status {
    return GRPC_STATUS[this.code];
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
