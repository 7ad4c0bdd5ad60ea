// A fresh ECDSA P-256 key and a CSR for the workload's SPIFFE identity, made for
// every certificate (as Istio's agent does), so a rotation also rotates the key.
import { webcrypto } from 'node:crypto';
import { spiffeUri } from '../../api/istio/ca/spiffe.ts';
import type { SpiffeIdentity } from '../../api/istio/ca/spiffe.ts';
import {
  ECDSA_P256,
  certificateSpki,
  generateP256KeyPair,
  privateKeyPem,
  x509,
} from '../../api/istio/ca/x509.ts';

export interface KeyAndCsr {
  keyPem: string;
  csrPem: string;
  /** DER SubjectPublicKeyInfo, to check that the returned certificate is for this key. */
  publicKeySpki: Buffer;
}

export async function createKeyAndCsr(identity: SpiffeIdentity): Promise<KeyAndCsr> {
  const keys = await generateP256KeyPair();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    // Istio's agent puts the trust domain in O and the identity in the URI SAN.
    name: `O=${identity.trustDomain}`,
    keys,
    signingAlgorithm: ECDSA_P256,
    extensions: [
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: spiffeUri(identity) }], true),
    ],
  });
  const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  return {
    keyPem: await privateKeyPem(keys.privateKey),
    csrPem: csr.toString('pem') + '\n',
    publicKeySpki: spki,
  };
}

/** True when the certificate (PEM) carries the key behind `spki`. */
export function certificateHasKey(certPem: string, spki: Buffer): boolean {
  return certificateSpki(certPem).equals(spki);
}
