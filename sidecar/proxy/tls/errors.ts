// The TLS transport sockets' error catalogue. Config problems are reported as
// issue lines (a NACK); these codes are for what goes wrong on a connection:
// they end up in the request record's upstream_transport_failure_reason or
// connection_termination_details, and in thrown errors' `code`.

export const TlsErrorCode = {
  /** A TLS context names an SDS secret the proxy has not received (yet). */
  SecretMissing: 'PETREL_TLS_SECRET_MISSING',
  /** The handshake failed: protocol alert, untrusted or expired certificate, timeout. */
  Handshake: 'PETREL_TLS_HANDSHAKE',
  /** The peer's certificate is valid but not for an identity the context accepts (SAN, SPKI, hash). */
  PeerIdentity: 'PETREL_TLS_PEER_IDENTITY',
  /** require_client_certificate is set and the client sent none. */
  NoClientCertificate: 'PETREL_TLS_NO_CLIENT_CERTIFICATE',
} as const;

export type TlsErrorCodeValue = (typeof TlsErrorCode)[keyof typeof TlsErrorCode];

export class TlsError extends Error {
  readonly code: TlsErrorCodeValue;
  constructor(code: TlsErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TlsError';
    this.code = code;
  }
}
