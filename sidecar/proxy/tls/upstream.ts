// Opens upstream connections for a cluster's transport socket: plaintext, or TLS
// per an UpstreamTlsContext (SNI, ALPN, client certificate from SDS, the server's
// chain checked against the trust anchors and its SANs against the matchers; for
// Istio's ISTIO_MUTUAL that is the SPIFFE identity of the destination workloads).
// The secure context is rebuilt when a new secret set arrives: new connections use
// the new certificate, pooled ones keep theirs.
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { TlsError, TlsErrorCode } from './errors.ts';
import {
  resolveCommon,
  secretNames,
  secureContextOptions,
  verifiesChain,
  type UpstreamTlsSpec,
} from './context-spec.ts';
import { pinsMatch, type ValidationMaterial } from './material.ts';
import { certificateSans, firstUriSan, sansMatch } from './san-match.ts';
import type { SecretStore } from './secret-store.ts';
import { isPipeAddress } from '../upstream/endpoints.ts';

export interface UpstreamConnectOptions {
  host: string;
  port: number;
  localAddress?: string;
  /** ALPN to offer instead of the context's (HTTP/2 pools add h2 to what the context lists). */
  alpn?: readonly string[];
  /** auto_sni: this name instead of the context's sni. */
  sni?: string;
  /** auto_san_validation: the server's certificate must carry this DNS name. */
  sanDns?: string;
  /** Keep the socket writable after the peer ends (TCP proxying forwards half-closes). */
  allowHalfOpen?: boolean;
}

/** A connection being made: wait for `readyEvent`, or 'error'. */
export interface UpstreamConnection {
  socket: net.Socket;
  readyEvent: 'connect' | 'secureConnect';
}

interface Built {
  context: tls.SecureContext;
  validation: ValidationMaterial | undefined;
  localPrincipal: string;
}

export class UpstreamTls {
  readonly spec: UpstreamTlsSpec;
  readonly #store: SecretStore;
  #built: Built | undefined;
  #version = -1;

  constructor(spec: UpstreamTlsSpec, store: SecretStore) {
    this.spec = spec;
    this.#store = store;
  }

  /** False when a secret it needs can never arrive (no workload identity): auto mTLS then skips it. */
  get usable(): boolean {
    return !secretNames(this.spec.common).some((n) => this.#store.willNeverHave(n));
  }

  /** Two transports with the same key open the same kind of connection. */
  get key(): string {
    return this.spec.key;
  }

  /** The SPIFFE identity this side presents ('' without a client certificate or before the first connection). */
  get localPrincipal(): string {
    return this.#built?.localPrincipal ?? '';
  }

  #current(): Built {
    if (this.#built && this.#version === this.#store.version) return this.#built;
    const r = resolveCommon(this.spec.common, this.#store);
    if ('missing' in r)
      throw new TlsError(TlsErrorCode.SecretMissing, `secret ${r.missing} has not been received`);
    const { resolved } = r;
    const first = resolved.certs[0];
    this.#built = {
      context: tls.createSecureContext(secureContextOptions(this.spec.common, resolved, 'client')),
      validation: resolved.validation,
      localPrincipal: first ? firstUriSan(certificateSans(new X509Certificate(first.chain))) : '',
    };
    this.#version = this.#store.version;
    return this.#built;
  }

  /**
   * Starts a TLS connection; `onPeer` gets the server's first URI SAN once it is
   * verified. Failures (missing secret, handshake, identity) arrive as an 'error'
   * event carrying a TlsError, like a refused connection.
   */
  connect(o: UpstreamConnectOptions, onPeer?: (principal: string) => void): UpstreamConnection {
    let built: Built;
    try {
      built = this.#current();
    } catch (e) {
      const s = new net.Socket();
      process.nextTick(() => s.destroy(e as Error));
      return { socket: s, readyEvent: 'secureConnect' };
    }
    const v = built.validation;
    const alpn = o.alpn ?? this.spec.common.alpn;
    const tcp = net.connect(netTarget(o));
    const socket = tls.connect({
      socket: tcp,
      host: isPipeAddress(o.host) ? undefined : o.host,
      secureContext: built.context,
      // Envoy sends SNI only when configured; node would otherwise send a DNS host name.
      servername: o.sni || this.spec.sni || undefined,
      ALPNProtocols: alpn.length > 0 ? [...alpn] : undefined,
      rejectUnauthorized: verifiesChain(v),
      checkServerIdentity: (_host, cert) => identityProblem(v, cert.raw, o.sanDns),
    });
    // A refused TCP connect surfaces on the raw socket; the caller listens on the TLS one.
    tcp.once('error', (err) => socket.destroy(err));
    socket.once('secureConnect', () => {
      const peer = socket.getPeerX509Certificate();
      // Without trust anchors node skips checkServerIdentity; the SANs are still Envoy's rule.
      if (!verifiesChain(v)) {
        const problem = identityProblem(v, peer?.raw, o.sanDns);
        if (problem) return socket.destroy(problem);
      }
      onPeer?.(firstUriSan(certificateSans(peer)));
    });
    return { socket, readyEvent: 'secureConnect' };
  }
}

function identityProblem(
  v: ValidationMaterial | undefined,
  der: Buffer | undefined,
  sanDns: string | undefined,
): TlsError | undefined {
  const cert = der ? new X509Certificate(der) : undefined;
  if (sanDns !== undefined && cert?.checkHost(sanDns) === undefined)
    return new TlsError(TlsErrorCode.PeerIdentity, `server certificate is not for ${sanDns}`);
  if (!v || (v.sanMatchers.length === 0 && v.spki.length === 0 && v.hashes.length === 0))
    return undefined;
  const sans = certificateSans(cert);
  if (!sansMatch(sans, v.sanMatchers))
    return new TlsError(
      TlsErrorCode.PeerIdentity,
      `server certificate SANs ${sans.map((s) => s.value).join(',') || '(none)'} match no subject_alt_names matcher`,
    );
  if (!pinsMatch(v, cert))
    return new TlsError(
      TlsErrorCode.PeerIdentity,
      'server certificate matches no pinned SPKI or hash',
    );
  return undefined;
}

/** A plaintext or TLS connection to an upstream host, per the host's transport. */
export function connectUpstream(
  transport: UpstreamTls | undefined,
  o: UpstreamConnectOptions,
  onPeer?: (principal: string) => void,
): UpstreamConnection {
  if (transport) return transport.connect(o, onPeer);
  return { socket: net.connect(netTarget(o)), readyEvent: 'connect' };
}

/** Where net.connect goes: a TCP host and port, or a unix socket (a pipe endpoint's path). */
function netTarget(o: UpstreamConnectOptions): net.NetConnectOpts {
  const allowHalfOpen = o.allowHalfOpen ?? false;
  if (isPipeAddress(o.host)) return { path: o.host, allowHalfOpen };
  return { host: o.host, port: o.port, localAddress: o.localAddress, allowHalfOpen, noDelay: true };
}

/** Node's TLS failure codes, so pools can tell a failed handshake from a reset (Envoy's UF, not UC). */
export function isTlsConnectFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return (
    code.startsWith('PETREL_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    code === 'EPROTO' ||
    code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' ||
    code === 'DEPTH_ZERO_SELF_SIGNED_CERT' ||
    code === 'SELF_SIGNED_CERT_IN_CHAIN' ||
    code === 'CERT_HAS_EXPIRED' ||
    code === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' ||
    code === 'ERR_TLS_CERT_ALTNAME_INVALID'
  );
}
