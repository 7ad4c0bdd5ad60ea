// What the TLS checks read from a peer's leaf certificate (SANs, first URI SAN,
// the parsed certificate for host and pin checks), parsed once per certificate.
// In a mesh a proxy meets the same few workload certificates on every new
// connection, and node hands each connection a fresh copy; parsing it again each
// time showed in the handshake profile (bench/proxy README, mTLS section).
import { X509Certificate } from 'node:crypto';
import { TlsError, TlsErrorCode } from './errors.ts';
import { pinsMatch, type ValidationMaterial } from './material.ts';
import { certificateSans, firstUriSan, sansMatch, type SanEntry } from './san-match.ts';

export interface PeerFacts {
  cert: X509Certificate;
  sans: readonly SanEntry[];
  /** First URI SAN: the SPIFFE identity ('' without one). */
  principal: string;
  /** notAfter in ms since the epoch. */
  notAfterMs: number;
}

/** Distinct certificates a proxy keeps parsed (its peers' current and previous ones). */
const MAX_ENTRIES = 512;
const parsed = new Map<string, PeerFacts>();

/** The facts of a DER leaf certificate, from the cache when it was seen before. */
export function peerFacts(der: Buffer): PeerFacts {
  // The exact bytes are the key: no hash to trust, no chance of a mix-up.
  const key = der.toString('latin1');
  const hit = parsed.get(key);
  if (hit) {
    // Refresh its place so the certificates in use stay while old ones age out.
    parsed.delete(key);
    parsed.set(key, hit);
    return hit;
  }
  const cert = new X509Certificate(der);
  const sans = certificateSans(cert);
  const facts: PeerFacts = {
    cert,
    sans,
    principal: firstUriSan(sans),
    notAfterMs: cert.validToDate.getTime(),
  };
  if (parsed.size >= MAX_ENTRIES) parsed.delete(parsed.keys().next().value!);
  parsed.set(key, facts);
  return facts;
}

/**
 * The SAN matcher and pin checks of a validation context on a peer's leaf, the same
 * for both sides of a connection; undefined when the certificate passes.
 */
export function peerIdentityProblem(
  side: 'client' | 'server',
  v: ValidationMaterial,
  peer: PeerFacts | undefined,
): TlsError | undefined {
  const sans = peer?.sans ?? [];
  if (!sansMatch(sans, v.sanMatchers))
    return new TlsError(
      TlsErrorCode.PeerIdentity,
      `${side} certificate SANs ${sans.map((s) => s.value).join(',') || '(none)'} match no subject_alt_names matcher`,
    );
  if (!pinsMatch(v, peer?.cert))
    return new TlsError(
      TlsErrorCode.PeerIdentity,
      `${side} certificate matches no pinned SPKI or hash`,
    );
  return undefined;
}

/** The SPIFFE identity (first URI SAN) of the leaf of a PEM chain this side presents. */
export function presentedPrincipal(pemChain: string | Buffer): string {
  return firstUriSan(certificateSans(new X509Certificate(pemChain)));
}
