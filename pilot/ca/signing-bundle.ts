// The material the CA signs with: its certificate and key, the certificates
// between it and the root, and the root workloads trust. Either a self-signed
// root (the CA certificate is the root) or a plugged-in CA from a cacerts
// directory, Istio's layout: ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem.
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { certificatesFromPem } from '../../api/istio/ca/pem.ts';
import { certificateSpki, importSigningKey } from '../../api/istio/ca/x509.ts';
import type { SigningKey } from '../../api/istio/ca/x509.ts';
import { CaError, errorMessage } from './errors.ts';

export interface SigningBundle {
  /** Signs leaves: the root itself when self-signed, the intermediate when plugged in. */
  caCert: X509Certificate;
  key: SigningKey;
  /** PEMs from the CA certificate up to (not including) the root; empty when the CA is the root. */
  intermediates: string[];
  /** The trust anchor(s) workloads get, PEM. */
  rootPem: string;
  source: 'self-signed' | 'cacerts';
}

export const CACERTS_FILES = {
  caCert: 'ca-cert.pem',
  caKey: 'ca-key.pem',
  rootCert: 'root-cert.pem',
  certChain: 'cert-chain.pem',
} as const;

function fail(message: string): never {
  throw new CaError('PETREL_CA_CACERTS', message);
}

/** Checks that `key` belongs to `cert`, that it may sign certificates, and that it is in date. */
function checkSigningPair(cert: X509Certificate, key: SigningKey, where: string, now: Date): void {
  if (!certificateSpki(cert.raw).equals(key.publicKeySpki))
    fail(`${where}: the private key does not match the CA certificate`);
  if (!cert.ca) fail(`${where}: the CA certificate is not a CA (basicConstraints CA:FALSE)`);
  if (new Date(cert.validTo) <= now)
    fail(`${where}: the CA certificate expired on ${cert.validTo}`);
}

/** A self-signed root and its key, as generated and persisted by pilot. */
export function selfSignedBundle(
  certPem: string,
  keyPem: string,
  where: string,
  now = new Date(),
): SigningBundle {
  try {
    const [first] = certificatesFromPem(certPem, where);
    const key = importSigningKey(keyPem, where);
    checkSigningPair(first!.cert, key, where, now);
    if (!first!.cert.verify(first!.cert.publicKey))
      fail(`${where}: the root certificate is not self-signed`);
    return {
      caCert: first!.cert,
      key,
      intermediates: [],
      rootPem: first!.pem,
      source: 'self-signed',
    };
  } catch (err) {
    if (err instanceof CaError) throw new CaError('PETREL_CA_ROOT_STORE', err.message);
    throw new CaError('PETREL_CA_ROOT_STORE', errorMessage(err));
  }
}

async function readPem(dir: string, file: string, required: boolean): Promise<string | undefined> {
  const full = path.join(dir, file);
  if (!existsSync(full)) {
    if (required)
      fail(`${full}: missing (a plugged-in CA needs ${Object.values(CACERTS_FILES).join(', ')})`);
    return undefined;
  }
  try {
    return await readFile(full, 'utf8');
  } catch (err) {
    return fail(`${full}: ${errorMessage(err)}`);
  }
}

/**
 * Loads a plugged-in CA. cert-chain.pem is the chain from ca-cert up towards the
 * root (Istio's samples include the root in it; a copy of the root is dropped so
 * it is not sent twice). Every link must verify, ending at root-cert.pem.
 */
export async function loadCacerts(dir: string, now = new Date()): Promise<SigningBundle> {
  const caCertPem = (await readPem(dir, CACERTS_FILES.caCert, true))!;
  const caKeyPem = (await readPem(dir, CACERTS_FILES.caKey, true))!;
  const rootPemText = (await readPem(dir, CACERTS_FILES.rootCert, true))!;
  const chainText = await readPem(dir, CACERTS_FILES.certChain, false);
  const where = (f: string): string => path.join(dir, f);
  let key: SigningKey;
  let ca: { pem: string; cert: X509Certificate };
  let roots: { pem: string; cert: X509Certificate }[];
  let chain: { pem: string; cert: X509Certificate }[];
  try {
    key = importSigningKey(caKeyPem, where(CACERTS_FILES.caKey));
    ca = certificatesFromPem(caCertPem, where(CACERTS_FILES.caCert))[0]!;
    roots = certificatesFromPem(rootPemText, where(CACERTS_FILES.rootCert));
    chain = chainText ? certificatesFromPem(chainText, where(CACERTS_FILES.certChain)) : [];
  } catch (err) {
    return fail(errorMessage(err));
  }
  checkSigningPair(ca.cert, key, where(CACERTS_FILES.caCert), now);
  const isRoot = (c: X509Certificate): boolean =>
    roots.some((r) => r.cert.fingerprint256 === c.fingerprint256);
  if (chain.length === 0 || chain[0]!.cert.fingerprint256 !== ca.cert.fingerprint256)
    chain.unshift(ca);
  const intermediates = chain.filter((c) => !isRoot(c.cert));
  // Each certificate must be signed by the next; the last by one of the roots.
  for (let i = 0; i < intermediates.length; i++) {
    const child = intermediates[i]!.cert;
    const issuers =
      i + 1 < intermediates.length ? [intermediates[i + 1]!.cert] : roots.map((r) => r.cert);
    if (!issuers.some((p) => child.checkIssued(p) && child.verify(p.publicKey))) {
      const next =
        i + 1 < intermediates.length ? `certificate ${i + 2} of the chain` : CACERTS_FILES.rootCert;
      fail(
        `${dir}: certificate ${i + 1} of the chain (${child.subject.replace(/\n/g, ', ')}) is not signed by ${next}`,
      );
    }
  }
  return {
    caCert: ca.cert,
    key,
    intermediates: intermediates.map((c) => c.pem),
    rootPem: roots.map((r) => r.pem).join(''),
    source: 'cacerts',
  };
}
