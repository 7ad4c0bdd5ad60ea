// Certificates and trust anchors as the data path holds them, compiled from the
// Envoy messages that carry them (inline in a TLS context or in an SDS Secret):
// TlsCertificate, CertificateValidationContext and their DataSources. Every PEM is
// parsed once here, so a bad certificate is a config error, never a failed handshake.
import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Issues } from '../config/issues.ts';
import { asArray, asObj, asString, bytesValue, isObj, wrappedBool } from '../config/values.ts';
import { crlBlocks, crlProblem, parseCrls, type CrlMaterial } from './crl.ts';
import { compileSanMatchers, type SanMatcher } from './san-match.ts';

export interface CertificateMaterial {
  /** Leaf first, then intermediates, PEM. */
  chain: Buffer;
  key: Buffer;
  passphrase: string | undefined;
}

export interface ValidationMaterial {
  /** PEM of the trusted CAs; undefined: none given (see systemRoots). */
  trustedCa: Buffer | undefined;
  /** system_root_certs: the platform's roots (node's bundled store) are trusted. */
  systemRoots: boolean;
  sanMatchers: SanMatcher[];
  /** verify_certificate_spki: base64 SHA-256 of the leaf's SubjectPublicKeyInfo. */
  spki: string[];
  /** verify_certificate_hash: hex SHA-256 of the leaf's DER, lowercase, no colons. */
  hashes: string[];
  /** trust_chain_verification ACCEPT_UNTRUSTED. */
  acceptUntrusted: boolean;
  /** crl: revocation lists checked along the peer's chain (crl.ts). */
  crl: CrlMaterial | undefined;
  /** CRLs that came inside the trusted_ca bundle (Envoy loads those too). */
  caCrls: Buffer[];
}

/** envoy.config.core.v3.DataSource: inline bytes or string, a file, or an environment variable. */
export function readDataSource(v: unknown, issues: Issues, field: string): Buffer | undefined {
  const o = asObj(v);
  if (!o) return undefined;
  if (o.inline_bytes !== undefined) return bytesValue(o.inline_bytes);
  if (typeof o.inline_string === 'string') return Buffer.from(o.inline_string);
  if (typeof o.filename === 'string') {
    try {
      return readFileSync(o.filename);
    } catch (e) {
      issues.add(
        `cannot read ${o.filename}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        `${field}.filename`,
      );
      return undefined;
    }
  }
  if (typeof o.environment_variable === 'string') {
    const value = process.env[o.environment_variable];
    if (value === undefined)
      issues.add(
        `environment variable ${o.environment_variable} is not set`,
        `${field}.environment_variable`,
      );
    return value === undefined ? undefined : Buffer.from(value);
  }
  issues.add('DataSource needs one of inline_bytes, inline_string, filename', field);
  return undefined;
}

function checkCertificates(pem: Buffer, issues: Issues, field: string): boolean {
  const blocks = pem
    .toString('latin1')
    .match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  if (!blocks) {
    issues.add('no PEM certificate found', field);
    return false;
  }
  for (const [i, b] of blocks.entries()) {
    try {
      new X509Certificate(b);
    } catch (e) {
      issues.add(`certificate ${i + 1} does not parse: ${(e as Error).message}`, field);
      return false;
    }
  }
  return true;
}

export function compileCertificate(v: unknown, issues: Issues): CertificateMaterial | undefined {
  const o = asObj(v) ?? {};
  for (const f of ['pkcs12', 'private_key_provider', 'watched_directory', 'ocsp_staple'])
    if (o[f] !== undefined) issues.add(`${f} is not supported`, f);
  if (asArray(o.signed_certificate_timestamp).length > 0)
    issues.add('signed_certificate_timestamp is not supported', 'signed_certificate_timestamp');
  const chain = readDataSource(o.certificate_chain, issues, 'certificate_chain');
  const key = readDataSource(o.private_key, issues, 'private_key');
  const passphrase = readDataSource(o.password, issues, 'password')?.toString();
  if (!chain) issues.add('certificate_chain is required', 'certificate_chain');
  if (!key) issues.add('private_key is required', 'private_key');
  if (!chain || !key) return undefined;
  if (!checkCertificates(chain, issues, 'certificate_chain')) return undefined;
  try {
    createPrivateKey({ key, passphrase });
  } catch (e) {
    issues.add(`not a usable private key: ${(e as Error).message}`, 'private_key');
    return undefined;
  }
  return { chain, key, passphrase };
}

export function compileValidation(v: unknown, issues: Issues): ValidationMaterial {
  const o = asObj(v) ?? {};
  for (const f of [
    'custom_validator_config',
    'watched_directory',
    'ca_certificate_provider_instance',
  ])
    if (o[f] !== undefined) issues.add(`${f} is not supported`, f);
  if (wrappedBool(o.require_signed_certificate_timestamp, false))
    issues.add(
      'require_signed_certificate_timestamp is not supported',
      'require_signed_certificate_timestamp',
    );
  if (o.allow_expired_certificate === true)
    issues.add('allow_expired_certificate is not supported', 'allow_expired_certificate');
  if (o.only_verify_leaf_cert_crl === true)
    issues.add(
      'only_verify_leaf_cert_crl is not supported: node checks the CRLs of the whole chain',
      'only_verify_leaf_cert_crl',
    );
  const trustedCa = readDataSource(o.trusted_ca, issues, 'trusted_ca');
  if (trustedCa) checkCertificates(trustedCa, issues, 'trusted_ca');
  const caCrls = trustedCa ? crlBlocks(trustedCa) : [];
  const caCrlProblem = crlProblem(caCrls);
  if (caCrlProblem) issues.add(caCrlProblem, 'trusted_ca');
  const trust = asString(o.trust_chain_verification) ?? 'VERIFY_TRUST_CHAIN';
  return {
    trustedCa,
    systemRoots: isObj(o.system_root_certs),
    sanMatchers: compileSanMatchers(o, issues),
    spki: asArray(o.verify_certificate_spki).map(String),
    hashes: asArray(o.verify_certificate_hash).map((h) =>
      String(h).replace(/:/g, '').toLowerCase(),
    ),
    acceptUntrusted: trust === 'ACCEPT_UNTRUSTED',
    crl: compileCrl(o.crl, issues),
    caCrls,
  };
}

function compileCrl(v: unknown, issues: Issues): CrlMaterial | undefined {
  const o = asObj(v);
  if (!o) return undefined;
  const pem = readDataSource(o, issues, 'crl');
  if (!pem) return undefined;
  // The file is the source only when no inline form wins (readDataSource's order).
  const file =
    o.inline_bytes === undefined && typeof o.inline_string !== 'string'
      ? asString(o.filename)
      : undefined;
  const r = parseCrls(pem);
  if ('problem' in r) {
    issues.add(file ? `${file}: ${r.problem}` : r.problem, 'crl');
    return undefined;
  }
  return { pems: r.pems, file };
}

/** Every CRL a validation context checks against. */
export function crlPems(v: ValidationMaterial | undefined): Buffer[] {
  return v ? [...v.caCrls, ...(v.crl?.pems ?? [])] : [];
}

/**
 * Combined validation context: the SDS one over the default, as Envoy's
 * Message::MergeFrom does (singular fields replaced, lists concatenated, booleans OR-ed).
 */
export function mergeValidation(
  base: ValidationMaterial | undefined,
  dynamic: ValidationMaterial | undefined,
): ValidationMaterial | undefined {
  if (!base || !dynamic) return dynamic ?? base;
  return {
    trustedCa: dynamic.trustedCa ?? base.trustedCa,
    caCrls: dynamic.trustedCa ? dynamic.caCrls : base.caCrls,
    crl: dynamic.crl ?? base.crl,
    systemRoots: base.systemRoots || dynamic.systemRoots,
    sanMatchers: [...base.sanMatchers, ...dynamic.sanMatchers],
    spki: [...base.spki, ...dynamic.spki],
    hashes: [...base.hashes, ...dynamic.hashes],
    acceptUntrusted: base.acceptUntrusted || dynamic.acceptUntrusted,
  };
}

/**
 * verify_certificate_spki / verify_certificate_hash: with either list set, the leaf
 * must match one value of either list (Envoy accepts a match in either).
 */
export function pinsMatch(v: ValidationMaterial, leaf: X509Certificate | undefined): boolean {
  if (v.spki.length === 0 && v.hashes.length === 0) return true;
  if (!leaf) return false;
  if (v.hashes.includes(createHash('sha256').update(leaf.raw).digest('hex'))) return true;
  if (v.spki.length === 0) return false;
  const spki = leaf.publicKey.export({ type: 'spki', format: 'der' });
  return v.spki.includes(createHash('sha256').update(spki).digest('base64'));
}
