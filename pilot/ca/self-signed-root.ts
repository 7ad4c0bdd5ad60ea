// Generates the mesh's self-signed root: ECDSA P-256, CA:true, ten years by
// default, subject O=<trust domain> as Istio names its self-signed root.
import { randomBytes } from 'node:crypto';
import { ECDSA_P256, generateP256KeyPair, privateKeyPem, x509 } from '../../api/istio/ca/x509.ts';

export interface RootPair {
  certPem: string;
  keyPem: string;
}

/** A random positive 128-bit serial (RFC 5280 allows up to 20 octets; the top bit stays clear). */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

export async function generateSelfSignedRoot(
  trustDomain: string,
  validityYears = 10,
  now = new Date(),
): Promise<RootPair> {
  const keys = await generateP256KeyPair();
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + validityYears);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `O=${trustDomain}`,
    notBefore: now,
    notAfter,
    keys,
    signingAlgorithm: ECDSA_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign |
          x509.KeyUsageFlags.cRLSign |
          x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await privateKeyPem(keys.privateKey) };
}
