// SPIFFE identities as Istio writes them: spiffe://<trust-domain>/ns/<ns>/sa/<sa>,
// carried as the only URI SAN of a workload certificate.
import type { PeerCertificate } from 'node:tls';
import { X509Certificate } from 'node:crypto';

export const DEFAULT_TRUST_DOMAIN = 'cluster.local';

export interface SpiffeIdentity {
  trustDomain: string;
  namespace: string;
  serviceAccount: string;
}

export function spiffeUri(id: SpiffeIdentity): string {
  return `spiffe://${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}

const ISTIO_SPIFFE = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/([^/]+)$/;

/** The identity in an Istio-shaped SPIFFE URI; undefined for anything else. */
export function parseSpiffeUri(uri: string): SpiffeIdentity | undefined {
  const m = ISTIO_SPIFFE.exec(uri);
  return m ? { trustDomain: m[1]!, namespace: m[2]!, serviceAccount: m[3]! } : undefined;
}

/**
 * URI SANs from node's subjectAltName text ("DNS:a, URI:spiffe://…"). Node quotes
 * an entry as a JSON string when it holds a comma or quote, so those are unquoted.
 */
export function uriSansFromText(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  const out: string[] = [];
  const entry = /(?:^|, )([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (let m = entry.exec(subjectAltName); m; m = entry.exec(subjectAltName)) {
    if (m[1] !== 'URI') continue;
    out.push(m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!);
  }
  return out;
}

/** URI SANs of a certificate (PEM, DER, node's X509Certificate or a TLS peer certificate). */
export function uriSans(cert: X509Certificate | PeerCertificate | string | Buffer): string[] {
  if (cert instanceof X509Certificate) return uriSansFromText(cert.subjectAltName);
  if (typeof cert === 'string' || Buffer.isBuffer(cert))
    return uriSansFromText(new X509Certificate(cert).subjectAltName);
  return uriSansFromText(cert.subjectaltname);
}

/**
 * A `checkServerIdentity` for node:tls / https clients that accepts the server when
 * its certificate carries one of the expected SPIFFE URIs. The default hostname
 * check cannot work: mesh certificates have no DNS names, only the URI SAN.
 */
export function spiffeServerIdentityCheck(
  expected: readonly string[],
): (host: string, cert: PeerCertificate) => Error | undefined {
  return (_host, cert) => {
    const got = uriSans(cert);
    if (got.some((u) => expected.includes(u))) return undefined;
    const err = new Error(
      `server identity ${got.join(',') || '(no URI SAN)'} is not one of ${expected.join(',')}`,
    );
    (err as Error & { code: string }).code = 'ERR_TLS_CERT_ALTNAME_INVALID';
    return err;
  };
}
