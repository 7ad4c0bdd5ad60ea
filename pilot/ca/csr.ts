// Reading a workload's CSR: it must parse, its signature must verify (proof the
// caller holds the key) and its key must be one the mesh accepts. The CSR's
// SANs are only checked against the caller; the certificate's identity comes
// from the authenticator, never from the CSR.
import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { pemBlocks } from '../../api/istio/ca/pem.ts';
import { x509 } from '../../api/istio/ca/x509.ts';
import { CaError, errorMessage } from './errors.ts';

export interface ParsedCsr {
  publicKey: x509.PublicKey;
  /** SANs as `type:value` (`url:spiffe://…`, `dns:…`, `ip:…`). */
  sans: string[];
}

const ACCEPTED_CURVES = new Set(['prime256v1', 'secp384r1']);

function bad(message: string): never {
  throw new CaError('PETREL_CA_BAD_CSR', `csr: ${message}`);
}

function checkKey(key: KeyObject): void {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? '?';
    if (!ACCEPTED_CURVES.has(curve)) bad(`EC curve ${curve} is not accepted (P-256 or P-384)`);
  } else if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048) bad(`RSA key of ${bits} bits is too short (2048 or more)`);
  } else {
    bad(`${key.asymmetricKeyType} keys are not accepted (ECDSA or RSA)`);
  }
}

export async function parseCsr(text: string): Promise<ParsedCsr> {
  if (!text) bad('empty');
  // Some tools label it "NEW CERTIFICATE REQUEST"; the DER inside is the same.
  const block =
    pemBlocks(text, 'CERTIFICATE REQUEST')[0] ?? pemBlocks(text, 'NEW CERTIFICATE REQUEST')[0];
  if (!block) bad('no PEM "CERTIFICATE REQUEST" block');
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(
      block.replace(/NEW CERTIFICATE REQUEST/g, 'CERTIFICATE REQUEST'),
    );
  } catch (err) {
    return bad(`does not parse as PKCS#10 (${errorMessage(err)})`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch (err) {
    return bad(`public key does not parse (${errorMessage(err)})`);
  }
  checkKey(key);
  let verified = false;
  try {
    verified = await csr.verify();
  } catch (err) {
    bad(`signature cannot be checked (${errorMessage(err)})`);
  }
  if (!verified) bad('signature does not verify with its own public key');
  const san = csr.extensions.find(
    (e) => e.type === x509.SubjectAlternativeNameExtension.NAME || e.type === '2.5.29.17',
  );
  const names = san ? new x509.SubjectAlternativeNameExtension(san.rawData).names.items : [];
  return { publicKey: csr.publicKey, sans: names.map((n) => `${n.type}:${n.value}`) };
}

/** Every SAN the CSR asks for must be the caller's own SPIFFE URI (none at all is fine). */
export function checkCsrIdentity(csr: ParsedCsr, callerUri: string): void {
  const foreign = csr.sans.filter((s) => s !== `url:${callerUri}`);
  if (foreign.length > 0) {
    throw new CaError(
      'PETREL_CA_IDENTITY_MISMATCH',
      `csr asks for ${foreign.join(', ')} but the caller is authenticated as ${callerUri}`,
    );
  }
}
