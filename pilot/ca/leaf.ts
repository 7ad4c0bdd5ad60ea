// Writes a leaf certificate signed by the CA: an empty subject with a critical
// SAN (RFC 5280 §4.2.1.6), CA:FALSE, digitalSignature + keyEncipherment, and
// serverAuth + clientAuth so one certificate serves both ends of mesh mTLS.
import { x509 } from '../../api/istio/ca/x509.ts';
import type { SigningBundle } from './signing-bundle.ts';
import { randomSerial } from './self-signed-root.ts';

export interface LeafSpec {
  /** The CSR's key, or a WebCrypto key (pilot's own serving key). */
  publicKey: x509.PublicKeyType;
  /** `{ type: 'url' | 'dns' | 'ip', value }` */
  sans: x509.JsonGeneralName[];
  notBefore: Date;
  notAfter: Date;
}

export async function issueLeaf(bundle: SigningBundle, spec: LeafSpec): Promise<string> {
  const issuer = new x509.X509Certificate(bundle.caCert.raw);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    new x509.ExtendedKeyUsageExtension([
      x509.ExtendedKeyUsage.serverAuth,
      x509.ExtendedKeyUsage.clientAuth,
    ]),
    new x509.SubjectAlternativeNameExtension(spec.sans, true),
  ];
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski) extensions.push(new x509.AuthorityKeyIdentifierExtension(ski.keyId));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: '',
    // The issuer's subject as parsed from its DER, so chain building matches it byte for byte.
    issuer: issuer.subjectName,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    publicKey: spec.publicKey,
    signingKey: bundle.key.privateKey,
    signingAlgorithm: bundle.key.algorithm,
    extensions,
  });
  return cert.toString('pem') + '\n';
}
