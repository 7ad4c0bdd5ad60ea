// Terminates TLS for one filter chain (DownstreamTlsContext). The chain was picked
// on the plaintext facts (port, SNI, ALPN offer) before any handshake, as Envoy
// does; the raw socket (ClientHello still unread) then goes through a node
// tls.Server that never listens. Certificates come from the SecretStore: when a new
// secret set arrives, the next handshake builds a new server, so open connections
// keep the certificate they were made with and new ones get the new one.
//
// Client certificates are requested with rejectUnauthorized off and checked here
// (chain, SANs, pins), so a refusal is a clear reason instead of node's silent
// hang-up (PLATFORM.md "TLS and identity").
//
// Session tickets are issued (unless disable_stateless_session_resumption) under the
// proxy's ticket key (ticket-keys.ts), and the session id context names what a
// session's checks depended on: the certificate presented, the trust anchors, the
// CRLs and whether a client certificate was asked for. OpenSSL resumes a ticket only
// under the context it was issued in, so a resumed session never crosses to another
// certificate or trust configuration; the SAN and pin checks run on every
// connection, resumed or not, on the client certificate the session carries.
import { constants as cryptoConstants, createHash } from 'node:crypto';
import type net from 'node:net';
import tls from 'node:tls';
import { TlsError, TlsErrorCode } from './errors.ts';
import {
  resolveCommon,
  secureContextOptions,
  verifiesChain,
  type DownstreamTlsSpec,
  type Resolved,
} from './context-spec.ts';
import { crlDigest } from './crl.ts';
import { crlPems, type ValidationMaterial } from './material.ts';
import {
  peerFacts,
  peerIdentityProblem,
  presentedPrincipal,
  type PeerFacts,
} from './peer-certificate.ts';
import type { SecretStore } from './secret-store.ts';
import { ticketKeys } from './ticket-keys.ts';

/** What the connection learnt in its handshake, for the request record and the access log. */
export interface DownstreamTlsInfo {
  /** First URI SAN of the client's certificate: its SPIFFE identity ('' without one). */
  peerPrincipal: string;
  /** First URI SAN of the certificate this side presented. */
  localPrincipal: string;
  serverName: string;
  /** The negotiated ALPN protocol ('' when none). */
  alpn: string;
}

export type SecuredHandler = (socket: tls.TLSSocket, info: DownstreamTlsInfo) => void;
export type FailedHandler = (err: TlsError) => void;

interface Pending {
  done: SecuredHandler;
  fail: FailedHandler;
}

interface Built {
  server: tls.Server;
  validation: ValidationMaterial | undefined;
  localPrincipal: string;
  /** The SecretStore version it was built from. */
  version: number;
  /** The ticket key generation the server holds. */
  tickets: number;
}

/** How long a client has to finish its handshake (Envoy: transport_socket_connect_timeout). */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/**
 * The server's ALPN choice: its own first protocol the client offers. With no
 * overlap BoringSSL carries on without ALPN, which node cannot do once a callback
 * is set, so the client's own first choice is taken: the HTTP codec sniffs the
 * bytes anyway, and the client then speaks what it prefers.
 */
export function pickAlpn(
  server: readonly string[],
  offered: readonly string[],
): string | undefined {
  return server.find((p) => offered.includes(p)) ?? offered[0];
}

/**
 * node hands the tls.Server's TLSSocket over without a public link to the socket it
 * wraps; `_parent` is that link (node's TLSSocket sets it when it wraps a net.Socket).
 */
function wrappedSocket(t: tls.TLSSocket): net.Socket | undefined {
  return (t as unknown as { _parent?: net.Socket })._parent;
}

export class DownstreamTls {
  readonly spec: DownstreamTlsSpec;
  readonly #store: SecretStore;
  #built: Built | undefined;
  readonly #pending = new WeakMap<net.Socket, Pending>();

  constructor(spec: DownstreamTlsSpec, store: SecretStore) {
    this.spec = spec;
    this.#store = store;
  }

  /** Runs the handshake on `raw`; exactly one of `done` and `fail` is called unless the socket closes first. */
  terminate(raw: net.Socket, done: SecuredHandler, fail: FailedHandler): void {
    let built: Built;
    try {
      built = this.#current();
    } catch (e) {
      raw.destroy();
      fail(e as TlsError);
      return;
    }
    if (this.spec.sessionTickets) {
      const k = ticketKeys(this.#store);
      if (built.tickets !== k.generation) {
        built.server.setTicketKeys(k.keys);
        built.tickets = k.generation;
      }
    }
    this.#pending.set(raw, { done, fail });
    built.server.emit('connection', raw);
  }

  #current(): Built {
    if (this.#built && this.#built.version === this.#store.version) return this.#built;
    const r = resolveCommon(this.spec.common, this.#store);
    if ('missing' in r)
      throw new TlsError(TlsErrorCode.SecretMissing, `secret ${r.missing} has not been received`);
    const { resolved } = r;
    const alpn = this.spec.common.alpn;
    const requestCert = this.spec.requireClientCertificate || resolved.validation !== undefined;
    const keys = ticketKeys(this.#store);
    const server = tls.createServer({
      ...secureContextOptions(this.spec.common, resolved, 'server'),
      requestCert,
      rejectUnauthorized: false,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      sessionIdContext: sessionIdContext(resolved, requestCert),
      sessionTimeout: this.spec.sessionTimeoutS,
      ...(this.spec.sessionTickets
        ? { ticketKeys: keys.keys }
        : { secureOptions: cryptoConstants.SSL_OP_NO_TICKET }),
      ...(alpn.length > 0
        ? { ALPNCallback: ({ protocols }: { protocols: string[] }) => pickAlpn(alpn, protocols) }
        : {}),
    });
    const built: Built = {
      server,
      validation: resolved.validation,
      localPrincipal: presentedPrincipal(resolved.certs[0]!.chain),
      version: this.#store.version,
      tickets: keys.generation,
    };
    server.on('secureConnection', (t: tls.TLSSocket) => this.#secured(built, t));
    server.on('tlsClientError', (err: Error, t: tls.TLSSocket) => {
      this.#fail(t, new TlsError(TlsErrorCode.Handshake, err.message, { cause: err }));
    });
    this.#built = built;
    return built;
  }

  #fail(t: tls.TLSSocket, err: TlsError): void {
    const raw = wrappedSocket(t);
    const p = raw ? this.#pending.get(raw) : undefined;
    if (raw) this.#pending.delete(raw);
    t.destroy();
    raw?.destroy();
    p?.fail(err);
  }

  #secured(built: Built, t: tls.TLSSocket): void {
    // Read once: node builds a new certificate object per call. On a resumed session
    // it is the certificate the session was made with.
    const raw = t.getPeerX509Certificate()?.raw;
    const peer = raw ? peerFacts(raw) : undefined;
    const refusal = this.#check(built.validation, t, peer);
    if (refusal) return this.#fail(t, refusal);
    const socket = wrappedSocket(t);
    const p = socket ? this.#pending.get(socket) : undefined;
    if (!socket || !p) {
      t.destroy();
      return;
    }
    this.#pending.delete(socket);
    p.done(t, {
      peerPrincipal: peer?.principal ?? '',
      localPrincipal: built.localPrincipal,
      serverName: typeof t.servername === 'string' ? t.servername : '',
      alpn: t.alpnProtocol || '',
    });
  }

  #check(
    v: ValidationMaterial | undefined,
    t: tls.TLSSocket,
    peer: PeerFacts | undefined,
  ): TlsError | undefined {
    if (this.spec.requireSni && !t.servername)
      return new TlsError(TlsErrorCode.Handshake, 'the client sent no SNI and require_sni is set');
    if (!peer) {
      return this.spec.requireClientCertificate
        ? new TlsError(TlsErrorCode.NoClientCertificate, 'the client sent no certificate')
        : undefined;
    }
    if (!v) return undefined;
    if (verifiesChain(v) && !t.authorized)
      return new TlsError(
        TlsErrorCode.Handshake,
        `client certificate not trusted: ${String(t.authorizationError)}`,
      );
    // A resumed session carries the verdict of its full handshake; a certificate that
    // has expired since would fail a full one.
    if (verifiesChain(v) && t.isSessionReused() && peer.notAfterMs <= Date.now())
      return new TlsError(TlsErrorCode.Handshake, 'client certificate has expired');
    return peerIdentityProblem('client', v, peer);
  }
}

/**
 * OpenSSL's session id context (at most 32 bytes): a digest of what a session's
 * chain verification and certificate choice depended on. Sessions made under one
 * value do not resume under another, whatever ticket key they were sealed with.
 */
function sessionIdContext(r: Resolved, requestCert: boolean): string {
  const h = createHash('sha256');
  for (const c of r.certs) h.update(c.chain).update('\0');
  const v = r.validation;
  h.update(`ca:${v?.trustedCa ? createHash('sha256').update(v.trustedCa).digest('hex') : ''}\0`);
  h.update(`system:${v?.systemRoots === true}\0untrusted:${v?.acceptUntrusted === true}\0`);
  // As Envoy's session id: a session whose client was checked under other CRLs does not resume.
  h.update(`crl:${crlDigest(crlPems(v))}\0`);
  h.update(`request:${requestCert}`);
  return h.digest('hex').slice(0, 32);
}
