// A serving certificate for the webhook when none is given: a throwaway CA
// (ECDSA P-256) and a leaf it signs, with the service's DNS names and loopback
// IPs as SANs. The CA's PEM is the caBundle the webhook configurations need.
// node:crypto can verify but not issue X.509, hence @peculiar/x509.
import 'reflect-metadata';
import { KeyObject, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { InjectorError } from './errors.ts';

// Node's WebCrypto is the standard one; the cast bridges @types/node and the DOM typings x509 uses.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface ServingCertificate {
  certPem: string;
  keyPem: string;
  /** PEM of the CA that signed certPem: the webhook configurations' caBundle. */
  caPem: string;
}

export interface ServingCertOptions {
  dnsNames: string[];
  ips?: string[];
  validityDays?: number;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

/** Istio's names for the control-plane service: `istiod`, `istiod.istio-system`, `….svc`, `….svc.cluster.local`. */
export function serviceDnsNames(
  service: string,
  namespace: string,
  domain = 'cluster.local',
): string[] {
  return [
    service,
    `${service}.${namespace}`,
    `${service}.${namespace}.svc`,
    `${service}.${namespace}.svc.${domain}`,
  ];
}

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f; // positive, as RFC 5280 requires
  return bytes.toString('hex');
}

function keyPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

export async function generateServingCertificate(
  options: ServingCertOptions,
): Promise<ServingCertificate> {
  try {
    const now = Date.now();
    const notBefore = new Date(now - 5 * 60_000); // tolerate clock skew between nodes
    const notAfter = new Date(now + (options.validityDays ?? 365) * 86_400_000);
    const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: 'O=Petrel, CN=petrel-injector-ca',
      notBefore,
      notAfter,
      keys: caKeys,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
          true,
        ),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
      ],
    });
    const leafKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const names = [
      ...options.dnsNames.map((value) => ({ type: 'dns' as const, value })),
      ...(options.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
    ];
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `O=Petrel, CN=${options.dnsNames[0] ?? 'petrel-injector'}`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      publicKey: leafKeys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(
          x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(names),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      ],
    });
    return {
      certPem: leaf.toString('pem'),
      keyPem: keyPem(leafKeys.privateKey),
      caPem: ca.toString('pem'),
    };
  } catch (err) {
    throw new InjectorError(
      'PETREL_INJECT_TLS',
      `cannot generate a serving certificate: ${(err as Error).message}`,
      { cause: err },
    );
  }
}
