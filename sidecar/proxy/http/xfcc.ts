// x-forwarded-client-cert as Envoy's connection manager sets it
// (forward_client_cert_details, set_current_client_cert_details; Envoy's
// ConnectionManagerUtility::mutateXfccRequestHeader and the XFCC header docs):
//   SANITIZE (default)   remove the header;
//   FORWARD_ONLY         keep it as received, on mTLS connections only;
//   APPEND_FORWARD       on mTLS, append this hop's element after a comma;
//   SANITIZE_SET         on mTLS, replace it with this hop's element;
//   ALWAYS_FORWARD_ONLY  keep it as received, whatever the connection.
// Without a client certificate every mode but ALWAYS_FORWARD_ONLY removes it, so a
// plaintext client cannot pass itself off as a mesh peer. This hop's element is
// `By=<our URI SAN>;Hash=<sha256 of the peer cert DER, hex>` then, in Envoy's order,
// Cert="<url-encoded PEM>", Chain="<url-encoded PEMs>", Subject="<RFC 2253>",
// URI=<peer URI SAN> (kept empty when there is none), DNS=<peer DNS SAN>; several
// By/URI/DNS SANs give one key each. Values are not quoted or escaped further, as in
// Envoy.
import { X509Certificate, createHash } from 'node:crypto';
import type tls from 'node:tls';
import type { Issues } from '../config/issues.ts';
import { asObj, asString, wrappedBool, type Obj } from '../config/values.ts';
import { certificateSans } from '../tls/san-match.ts';
import type { HeaderMap } from '../upstream/types.ts';

const HEADER = 'x-forwarded-client-cert';
const MODES = [
  'SANITIZE',
  'FORWARD_ONLY',
  'APPEND_FORWARD',
  'SANITIZE_SET',
  'ALWAYS_FORWARD_ONLY',
] as const;
export type XfccMode = (typeof MODES)[number];
export type CertDetail = 'Cert' | 'Chain' | 'Subject' | 'URI' | 'DNS';

export interface XfccConfig {
  mode: XfccMode;
  /** set_current_client_cert_details, in the order Envoy writes them. */
  details: readonly CertDetail[];
}

export function compileXfcc(c: Obj, issues: Issues): XfccConfig {
  const raw = asString(c.forward_client_cert_details) ?? 'SANITIZE';
  const mode = (MODES as readonly string[]).includes(raw) ? (raw as XfccMode) : 'SANITIZE';
  if (mode !== raw)
    issues.add(
      `forward_client_cert_details ${raw} is not supported`,
      'forward_client_cert_details',
    );
  const d = asObj(c.set_current_client_cert_details) ?? {};
  const details: CertDetail[] = [];
  if (d.cert === true) details.push('Cert');
  if (d.chain === true) details.push('Chain');
  if (wrappedBool(d.subject, false)) details.push('Subject');
  if (d.uri === true) details.push('URI');
  if (d.dns === true) details.push('DNS');
  return { mode, details };
}

interface CertFacts {
  peer: X509Certificate | undefined;
  /** This hop's element per details list (details arrays are per HCM config, so few). */
  elements: Map<readonly CertDetail[], string>;
}

const factsBySocket = new WeakMap<tls.TLSSocket, CertFacts>();

function factsOf(socket: tls.TLSSocket): CertFacts {
  let f = factsBySocket.get(socket);
  if (!f)
    factsBySocket.set(socket, (f = { peer: socket.getPeerX509Certificate(), elements: new Map() }));
  return f;
}

/** Envoy's urlEncode: everything but RFC 3986 unreserved characters is %XX. */
function urlEncode(s: string): string {
  return s.replace(/[^A-Za-z0-9\-._~]/g, (ch) =>
    [...Buffer.from(ch)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/**
 * The subject in RFC 2253 form (Envoy prints it with XN_FLAG_RFC2253). Node gives
 * one RDN a line in certificate order with RFC 2253 escaping already applied and
 * multi-valued RDNs joined by " + ": reverse the lines and join them with commas.
 */
export function rfc2253Subject(subject: string | undefined): string {
  // node reports an empty subject (usual for SPIFFE certificates) as undefined.
  if (!subject) return '';
  return subject
    .split('\n')
    .reverse()
    .map((rdn) => rdn.split(' + ').join('+'))
    .join(',');
}

/**
 * The peer's chain as the handshake verified it, leaf first. Envoy prints the chain
 * the client sent; node only exposes the verified one, so a self-signed root at its
 * end (which clients do not normally send) is left out.
 */
function peerChain(socket: tls.TLSSocket): string[] {
  const out: string[] = [];
  let c: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  const seen = new Set<unknown>();
  while (c && c.raw && !seen.has(c)) {
    seen.add(c);
    const selfSigned = c.issuerCertificate === c;
    if (selfSigned && out.length > 0) break;
    out.push(new X509Certificate(c.raw).toString());
    c = c.issuerCertificate;
  }
  return out;
}

function element(
  socket: tls.TLSSocket,
  peer: X509Certificate,
  details: readonly CertDetail[],
): string {
  const parts: string[] = [];
  const local = socket.getX509Certificate();
  for (const s of certificateSans(local)) if (s.type === 'URI') parts.push(`By=${s.value}`);
  parts.push(`Hash=${createHash('sha256').update(peer.raw).digest('hex')}`);
  const sans = certificateSans(peer);
  for (const d of details) {
    switch (d) {
      case 'Cert':
        parts.push(`Cert="${urlEncode(peer.toString())}"`);
        break;
      case 'Chain':
        parts.push(`Chain="${urlEncode(peerChain(socket).join(''))}"`);
        break;
      case 'Subject':
        parts.push(`Subject="${rfc2253Subject(peer.subject)}"`);
        break;
      case 'URI': {
        const uris = sans.filter((s) => s.type === 'URI');
        if (uris.length === 0) parts.push('URI=');
        for (const s of uris) parts.push(`URI=${s.value}`);
        break;
      }
      case 'DNS':
        for (const s of sans) if (s.type === 'DNS') parts.push(`DNS=${s.value}`);
    }
  }
  return parts.join(';');
}

/** Applies the HCM's XFCC policy to request headers; `socket` is the mTLS connection, if any. */
export function applyXfcc(h: HeaderMap, cfg: XfccConfig, socket: tls.TLSSocket | undefined): void {
  if (cfg.mode === 'ALWAYS_FORWARD_ONLY') return;
  const facts = cfg.mode === 'SANITIZE' || !socket ? undefined : factsOf(socket);
  if (!facts?.peer) {
    if (h[HEADER] !== undefined) delete h[HEADER];
    return;
  }
  if (cfg.mode === 'FORWARD_ONLY') return;
  let value = facts.elements.get(cfg.details);
  if (value === undefined)
    facts.elements.set(cfg.details, (value = element(socket!, facts.peer, cfg.details)));
  const prev = h[HEADER];
  const before = Array.isArray(prev) ? prev.join(',') : prev;
  h[HEADER] = cfg.mode === 'APPEND_FORWARD' && before ? `${before},${value}` : value;
}
