// Error catalogue of the CA protocol helpers shared by pilot's CA and the proxy's
// identity module: one class, stable codes, one line each.

export type CaProtocolErrorCode =
  /** ca.proto could not be found or parsed. */
  | 'PETREL_CA_PROTO_LOAD'
  /** Text that should hold PEM certificates or a PEM key does not. */
  | 'PETREL_CA_PEM'
  /** A key of a type or curve the mesh does not sign with. */
  | 'PETREL_CA_KEY_TYPE';

export class CaProtocolError extends Error {
  readonly code: CaProtocolErrorCode;
  constructor(code: CaProtocolErrorCode, message: string) {
    super(message);
    this.name = 'CaProtocolError';
    this.code = code;
  }
}
