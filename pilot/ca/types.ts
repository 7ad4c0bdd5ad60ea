// Shapes shared inside the mesh CA: who the caller is, how callers are
// authenticated, and where the CA logs.
import type { PeerCertificate } from 'node:tls';

/** Structurally the same as pilot's XdsLogger, so pilot can pass one logger to both. */
export interface CaLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The workload a request comes from, as an authenticator proved it. */
export interface Caller {
  namespace: string;
  serviceAccount: string;
  /** Which authenticator proved it, for logs. */
  via: string;
}

/** What a CreateCertificate call offers as credentials. */
export interface Credentials {
  /** The token of `authorization: Bearer <token>`, if any. */
  bearerToken?: string;
  /** The client certificate of the mTLS handshake, present only when it verified against the mesh root. */
  peerCertificate?: PeerCertificate;
  /** host:port of the caller, for logs. */
  peer: string;
}

export type AuthnResult =
  | { kind: 'ok'; caller: Caller }
  /** This authenticator has nothing to say (e.g. no token for a token authenticator). */
  | { kind: 'skip' }
  /** The credentials were examined and rejected; `reason` goes into the log line. */
  | { kind: 'fail'; reason: string };

export interface Authenticator {
  readonly name: string;
  authenticate(credentials: Credentials): Promise<AuthnResult>;
}

export const silentLogger: CaLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
