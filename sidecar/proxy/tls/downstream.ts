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
import { X509Certificate } from 'node:crypto';
import type net from 'node:net';
import tls from 'node:tls';
import { TlsError, TlsErrorCode } from './errors.ts';
import {
  resolveCommon,
  secureContextOptions,
  verifiesChain,
  type DownstreamTlsSpec,
} from './context-spec.ts';
import { pinsMatch, type ValidationMaterial } from './material.ts';
import { certificateSans, firstUriSan, sansMatch } from './san-match.ts';
import type { SecretStore } from './secret-store.ts';

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
  #version = -1;
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
    this.#pending.set(raw, { done, fail });
    built.server.emit('connection', raw);
  }

  #current(): Built {
    if (this.#built && this.#version === this.#store.version) return this.#built;
    const r = resolveCommon(this.spec.common, this.#store);
    if ('missing' in r)
      throw new TlsError(TlsErrorCode.SecretMissing, `secret ${r.missing} has not been received`);
    const { resolved } = r;
    const alpn = this.spec.common.alpn;
    const server = tls.createServer({
      ...secureContextOptions(this.spec.common, resolved, 'server'),
      requestCert: this.spec.requireClientCertificate || resolved.validation !== undefined,
      rejectUnauthorized: false,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      ...(alpn.length > 0
        ? { ALPNCallback: ({ protocols }: { protocols: string[] }) => pickAlpn(alpn, protocols) }
        : {}),
    });
    const built: Built = {
      server,
      validation: resolved.validation,
      localPrincipal: firstUriSan(certificateSans(new X509Certificate(resolved.certs[0]!.chain))),
    };
    server.on('secureConnection', (t: tls.TLSSocket) => this.#secured(built, t));
    server.on('tlsClientError', (err: Error, t: tls.TLSSocket) => {
      this.#fail(t, new TlsError(TlsErrorCode.Handshake, err.message, { cause: err }));
    });
    this.#built = built;
    this.#version = this.#store.version;
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
    const refusal = this.#check(built.validation, t);
    if (refusal) return this.#fail(t, refusal);
    const raw = wrappedSocket(t);
    const p = raw ? this.#pending.get(raw) : undefined;
    if (!raw || !p) {
      t.destroy();
      return;
    }
    this.#pending.delete(raw);
    const peer = t.getPeerX509Certificate();
    p.done(t, {
      peerPrincipal: firstUriSan(certificateSans(peer)),
      localPrincipal: built.localPrincipal,
      serverName: typeof t.servername === 'string' ? t.servername : '',
      alpn: t.alpnProtocol || '',
    });
  }

  #check(v: ValidationMaterial | undefined, t: tls.TLSSocket): TlsError | undefined {
    if (this.spec.requireSni && !t.servername)
      return new TlsError(TlsErrorCode.Handshake, 'the client sent no SNI and require_sni is set');
    const peer = t.getPeerX509Certificate();
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
    const sans = certificateSans(peer);
    if (!sansMatch(sans, v.sanMatchers))
      return new TlsError(
        TlsErrorCode.PeerIdentity,
        `client certificate SANs ${sans.map((s) => s.value).join(',') || '(none)'} match no subject_alt_names matcher`,
      );
    if (!pinsMatch(v, peer))
      return new TlsError(
        TlsErrorCode.PeerIdentity,
        'client certificate matches no pinned SPKI or hash',
      );
    return undefined;
  }
}
