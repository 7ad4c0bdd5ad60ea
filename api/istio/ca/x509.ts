// @peculiar/x509 set up for Node (it needs a Reflect polyfill loaded first and a
// WebCrypto provider), plus the key handling both sides of the CA protocol share.
// node:crypto verifies certificates but cannot write CSRs or certificates, so
// issuing goes through @peculiar/x509 on top of node's WebCrypto.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate, createPrivateKey, createPublicKey, webcrypto } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CaProtocolError } from './errors.ts';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

export { x509 };

/** Workload keys: ECDSA P-256 with SHA-256, as Istio's agent makes them. */
export const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export type SigningAlgorithm =
  { name: 'ECDSA'; hash: string } | { name: 'RSASSA-PKCS1-v1_5'; hash: string };

export type { CryptoKey, CryptoKeyPair };

/** A private key ready to sign with, whatever PEM form it came in. */
export interface SigningKey {
  privateKey: CryptoKey;
  algorithm: SigningAlgorithm;
  /** DER SubjectPublicKeyInfo, to match the key against a certificate. */
  publicKeySpki: Buffer;
}

export function generateP256KeyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ECDSA_P256, true, [
    'sign',
    'verify',
  ]) as Promise<CryptoKeyPair>;
}

/** PKCS#8 PEM ("PRIVATE KEY") of an extractable key. */
export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END PRIVATE KEY-----\n`;
}

const EC_HASH: Record<string, string> = {
  prime256v1: 'SHA-256',
  secp384r1: 'SHA-384',
  secp521r1: 'SHA-512',
};
const EC_WEBCRYPTO: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

/**
 * Imports a PEM private key (PKCS#8, SEC1 "EC PRIVATE KEY" or PKCS#1 "RSA PRIVATE
 * KEY"): plugged-in CA keys come in all three. EC keys sign with the hash that
 * matches their curve, RSA keys with PKCS#1 v1.5 and SHA-256, as Istio's CA does.
 */
export function importSigningKey(pem: string, where: string): SigningKey {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new CaProtocolError(
      'PETREL_CA_PEM',
      `${where}: not a PEM private key (${err instanceof Error ? err.message : String(err)})`,
    );
  }
  const publicKeySpki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? '';
    const namedCurve = EC_WEBCRYPTO[curve];
    if (!namedCurve)
      throw new CaProtocolError(
        'PETREL_CA_KEY_TYPE',
        `${where}: EC curve ${curve} is not supported (P-256, P-384, P-521)`,
      );
    const privateKey = key.toCryptoKey({ name: 'ECDSA', namedCurve }, true, ['sign']);
    return { privateKey, algorithm: { name: 'ECDSA', hash: EC_HASH[curve]! }, publicKeySpki };
  }
  if (key.asymmetricKeyType === 'rsa') {
    const privateKey = key.toCryptoKey({ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, [
      'sign',
    ]);
    return { privateKey, algorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, publicKeySpki };
  }
  throw new CaProtocolError(
    'PETREL_CA_KEY_TYPE',
    `${where}: ${key.asymmetricKeyType} keys are not supported (EC or RSA)`,
  );
}

/** DER SubjectPublicKeyInfo of a certificate's key (PEM or DER certificate). */
export function certificateSpki(cert: string | Buffer): Buffer {
  return new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' });
}
