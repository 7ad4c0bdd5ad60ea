// Certificate revocation lists: CertificateValidationContext.crl, and the CRLs a
// trusted_ca bundle may carry beside its certificates (Envoy loads both). node takes
// them as the secure context's `crl` option and then checks revocation along the
// whole chain (OpenSSL's CRL_CHECK | CRL_CHECK_ALL, which is Envoy's default,
// only_verify_leaf_cert_crl false): every CA in the peer's chain needs a CRL, or the
// certificate fails with UNABLE_TO_GET_CRL. node has no option for leaf-only checks,
// so material.ts refuses only_verify_leaf_cert_crl.
//
// A CRL file is read when its config is compiled (a bad one is a NACK naming the
// field) and again each time a TLS context is rebuilt for a new secret set, as Envoy
// reads it again when an SDS update rebuilds the context; a file that has gone bad
// by then leaves the last good copy in force (SecretStore.crlFile).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

export interface CrlMaterial {
  /** One PEM CRL per entry: node's `crl` option reads only the first CRL of a PEM string. */
  pems: Buffer[];
  /** The file they were read from (undefined: inline), read again on a new secret set. */
  file: string | undefined;
}

const CRL_BLOCK = /-----BEGIN X509 CRL-----[\s\S]*?-----END X509 CRL-----/g;

/** The PEM CRL blocks of a bundle, each on its own. */
export function crlBlocks(pem: Buffer): Buffer[] {
  return (pem.toString('latin1').match(CRL_BLOCK) ?? []).map((b) => Buffer.from(b, 'latin1'));
}

/** The first CRL node cannot load, as a message; undefined when all load. */
export function crlProblem(pems: readonly Buffer[]): string | undefined {
  for (const [i, pem] of pems.entries()) {
    try {
      tls.createSecureContext({ crl: pem });
    } catch (e) {
      return `CRL ${i + 1} does not parse: ${(e as Error).message}`;
    }
  }
  return undefined;
}

/** A PEM CRL DataSource's content: its CRLs, or why it cannot be used. */
export function parseCrls(pem: Buffer): { pems: Buffer[] } | { problem: string } {
  const pems = crlBlocks(pem);
  if (pems.length === 0) return { problem: 'no PEM CRL (BEGIN X509 CRL) found' };
  const problem = crlProblem(pems);
  return problem === undefined ? { pems } : { problem };
}

/** A CRL file read again, or why it cannot be used now. */
export function rereadCrlFile(file: string): { pems: Buffer[] } | { problem: string } {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (e) {
    return {
      problem: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    };
  }
  const r = parseCrls(pem);
  return 'problem' in r ? { problem: `${file}: ${r.problem}` } : r;
}

/** A short digest of CRLs, for session contexts: a session made under other CRLs must not resume. */
export function crlDigest(pems: readonly Buffer[]): string {
  if (pems.length === 0) return '';
  const h = createHash('sha256');
  for (const p of pems) h.update(p).update('\0');
  return h.digest('hex');
}
