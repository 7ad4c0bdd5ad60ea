// The workload identity module's error catalogue: one class, stable codes, one line each.

export type IdentityErrorCode =
  /** CreateCertificate failed: CA unreachable, TLS refused, or the CA said no (the gRPC status is kept). */
  | 'PETREL_IDENTITY_CA_CALL'
  /** The CA answered with a chain that is empty, unparsable, for another key or another identity. */
  | 'PETREL_IDENTITY_BAD_RESPONSE'
  /** The token file or root certificate file cannot be read. */
  | 'PETREL_IDENTITY_CREDENTIAL'
  /** Options that cannot work (no CA root, bad identity). */
  | 'PETREL_IDENTITY_CONFIG'
  /** stop() was called before a certificate arrived. */
  | 'PETREL_IDENTITY_STOPPED';

export class IdentityError extends Error {
  readonly code: IdentityErrorCode;
  /** The gRPC status code for PETREL_IDENTITY_CA_CALL. */
  readonly grpcCode: number | undefined;
  constructor(code: IdentityErrorCode, message: string, grpcCode?: number) {
    super(message);
    this.name = 'IdentityError';
    this.code = code;
    this.grpcCode = grpcCode;
  }
}

export function errorLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
}
