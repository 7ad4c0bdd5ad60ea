// Compiles Envoy's TLS transport socket configs (DownstreamTlsContext on listener
// filter chains, UpstreamTlsContext on clusters) into specs, and resolves a spec's
// certificates and trust anchors against the SecretStore at handshake time.
// https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/transport_sockets/tls/v3/tls.proto
import type { SecureContextOptions, SecureVersion } from 'node:tls';
import { rootCertificates } from 'node:tls';
import type { Issues } from '../config/issues.ts';
import {
  asArray,
  asObj,
  asString,
  durationMs,
  isObj,
  wrappedBool,
  wrappedNumber,
  type Obj,
} from '../config/values.ts';
import {
  compileCertificate,
  compileValidation,
  crlPems,
  mergeValidation,
  type CertificateMaterial,
  type ValidationMaterial,
} from './material.ts';
import type { SecretStore } from './secret-store.ts';

export const DOWNSTREAM_TLS_CONTEXT =
  'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
export const UPSTREAM_TLS_CONTEXT = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
export const RAW_BUFFER = 'envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer';

type CertSource = { inline: CertificateMaterial } | { sds: string };

export interface CommonTlsSpec {
  certs: CertSource[];
  /** The validation context: inline, from SDS, or both (combined_validation_context). */
  validation: { inline: ValidationMaterial | undefined; sds: string | undefined } | undefined;
  alpn: string[];
  minVersion: SecureVersion | undefined;
  maxVersion: SecureVersion | undefined;
  ciphers: string | undefined;
  ecdhCurve: string | undefined;
  sigalgs: string | undefined;
}

export interface DownstreamTlsSpec {
  common: CommonTlsSpec;
  requireClientCertificate: boolean;
  requireSni: boolean;
  /** Session tickets are issued (false: disable_stateless_session_resumption). */
  sessionTickets: boolean;
  /** session_timeout in whole seconds: the lifetime of a session (ticket). */
  sessionTimeoutS: number;
}

export interface UpstreamTlsSpec {
  common: CommonTlsSpec;
  /** SNI to send; '' sends none. */
  sni: string;
  /** The config as received: two transports with the same key behave the same. */
  key: string;
  /** max_session_keys: 0 disables session resumption. */
  maxSessionKeys: number;
}

export interface Resolved {
  certs: CertificateMaterial[];
  validation: ValidationMaterial | undefined;
}

const VERSIONS: Record<string, SecureVersion | undefined> = {
  TLS_AUTO: undefined,
  TLSv1_0: 'TLSv1',
  TLSv1_1: 'TLSv1.1',
  TLSv1_2: 'TLSv1.2',
  TLSv1_3: 'TLSv1.3',
};

/**
 * Envoy's session lifetime when session_timeout is unset: BoringSSL's default
 * (SSL_DEFAULT_SESSION_TIMEOUT, 2 hours); node's own default would be 5 minutes.
 */
const DEFAULT_SESSION_TIMEOUT_S = 7200;

/** TlsParameters.ecdh_curves when unset (non-FIPS builds). */
const ENVOY_DEFAULT_CURVES = 'X25519:P-256';

/** TLS 1.3 suites are not configurable in BoringSSL; node drops 1.3 unless its suites are listed. */
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

function sdsName(v: unknown, issues: Issues): string | undefined {
  const o = asObj(v);
  const name = asString(o?.name);
  if (!name) issues.add('name is required', 'name');
  // The secret is looked up locally by name whatever its sds_config says (ads, the
  // agent's sds-grpc cluster or none): see pilot/translate/cluster/sds.ts.
  return name || undefined;
}

/** BoringSSL's equal-preference groups `[A|B]` flattened to OpenSSL's `A:B`. */
function cipherList(suites: string[]): string | undefined {
  if (suites.length === 0) return undefined;
  const flat = suites.flatMap((s) => s.replace(/^\[|\]$/g, '').split('|'));
  return [...flat, TLS13_SUITES].join(':');
}

export function compileCommon(v: unknown, issues: Issues): CommonTlsSpec {
  const c = asObj(v) ?? {};
  for (const f of [
    'tls_certificate_provider_instance',
    'tls_certificate_certificate_provider',
    'tls_certificate_certificate_provider_instance',
    'validation_context_certificate_provider',
    'validation_context_certificate_provider_instance',
    'custom_handshaker',
    'key_log',
  ])
    if (c[f] !== undefined) issues.add(`${f} is not supported`, f);
  const certs: CertSource[] = [];
  asArray(c.tls_certificates).forEach((t, i) => {
    const inline = compileCertificate(t, issues.at('tls_certificates').at(i));
    if (inline) certs.push({ inline });
  });
  asArray(c.tls_certificate_sds_secret_configs).forEach((s, i) => {
    const name = sdsName(s, issues.at('tls_certificate_sds_secret_configs').at(i));
    if (name) certs.push({ sds: name });
  });
  let validation: CommonTlsSpec['validation'];
  if (isObj(c.validation_context))
    validation = {
      inline: compileValidation(c.validation_context, issues.at('validation_context')),
      sds: undefined,
    };
  else if (isObj(c.validation_context_sds_secret_config))
    validation = {
      inline: undefined,
      sds: sdsName(
        c.validation_context_sds_secret_config,
        issues.at('validation_context_sds_secret_config'),
      ),
    };
  else if (isObj(c.combined_validation_context)) {
    const cv = c.combined_validation_context;
    const at = issues.at('combined_validation_context');
    validation = {
      inline: compileValidation(cv.default_validation_context, at.at('default_validation_context')),
      sds: sdsName(
        cv.validation_context_sds_secret_config,
        at.at('validation_context_sds_secret_config'),
      ),
    };
  }
  const p = asObj(c.tls_params) ?? {};
  const version = (f: string): SecureVersion | undefined => {
    const name = asString(p[f]) ?? 'TLS_AUTO';
    if (!(name in VERSIONS)) issues.add(`unknown TLS version ${name}`, `tls_params.${f}`);
    return VERSIONS[name];
  };
  const curves = asArray(p.ecdh_curves).map(String);
  const sigalgs = asArray(p.signature_algorithms).map(String);
  return {
    certs,
    validation,
    alpn: asArray(c.alpn_protocols).map(String),
    minVersion: version('tls_minimum_protocol_version'),
    maxVersion: version('tls_maximum_protocol_version'),
    ciphers: cipherList(asArray(p.cipher_suites).map(String)),
    ecdhCurve: curves.length > 0 ? curves.join(':') : undefined,
    sigalgs: sigalgs.length > 0 ? sigalgs.join(':') : undefined,
  };
}

export function compileDownstreamTls(cfg: Obj, issues: Issues): DownstreamTlsSpec {
  // Envoy's ticket keys are 80 bytes (name, HMAC and AES keys); node takes 48 of another
  // layout, so configured keys are refused rather than reinterpreted. Without them
  // Envoy, and the proxy here, issue tickets under keys of their own.
  for (const f of [
    'session_ticket_keys',
    'session_ticket_keys_sds_secret_config',
    'ocsp_staple_policy',
  ])
    if (cfg[f] !== undefined && cfg[f] !== 'LENIENT_STAPLING')
      issues.add(`${f} is not supported`, f);
  // disable_stateful_session_resumption needs nothing: node keeps no server-side
  // session cache unless asked to ('newSession'/'resumeSession' handlers), so only
  // tickets ever resume a session here.
  const timeoutMs = durationMs(cfg.session_timeout, issues, 'session_timeout');
  const common = compileCommon(cfg.common_tls_context, issues.at('common_tls_context'));
  if (common.certs.length === 0)
    issues.add('a server TLS context needs a certificate', 'common_tls_context');
  const requireClientCertificate = wrappedBool(cfg.require_client_certificate, false);
  if (requireClientCertificate && !common.validation)
    issues.add(
      'require_client_certificate needs a validation context to check the certificate with',
      'require_client_certificate',
    );
  return {
    common,
    requireClientCertificate,
    requireSni: wrappedBool(cfg.require_sni, false),
    sessionTickets: cfg.disable_stateless_session_resumption !== true,
    sessionTimeoutS:
      timeoutMs === undefined ? DEFAULT_SESSION_TIMEOUT_S : Math.floor(timeoutMs / 1000),
  };
}

export function compileUpstreamTls(cfg: Obj, issues: Issues): UpstreamTlsSpec {
  if (cfg.allow_renegotiation === true)
    issues.add('allow_renegotiation is not supported', 'allow_renegotiation');
  return {
    common: compileCommon(cfg.common_tls_context, issues.at('common_tls_context')),
    sni: asString(cfg.sni) ?? '',
    key: JSON.stringify(cfg),
    maxSessionKeys: wrappedNumber(cfg.max_session_keys) ?? 1,
  };
}

/** The SDS secret names a spec reads. */
export function secretNames(spec: CommonTlsSpec): string[] {
  const names = spec.certs.flatMap((c) => ('sds' in c ? [c.sds] : []));
  if (spec.validation?.sds !== undefined) names.push(spec.validation.sds);
  return names;
}

/** The spec's certificates and trust anchors from the store, or the name of the first secret missing. */
export function resolveCommon(
  spec: CommonTlsSpec,
  store: SecretStore,
): { resolved: Resolved } | { missing: string } {
  const certs: CertificateMaterial[] = [];
  for (const c of spec.certs) {
    if ('inline' in c) certs.push(c.inline);
    else {
      const s = store.get(c.sds);
      if (s?.kind !== 'certificate') return { missing: c.sds };
      certs.push(s.cert);
    }
  }
  let validation: ValidationMaterial | undefined;
  if (spec.validation) {
    let dynamic: ValidationMaterial | undefined;
    if (spec.validation.sds !== undefined) {
      const s = store.get(spec.validation.sds);
      if (s?.kind !== 'validation') return { missing: spec.validation.sds };
      dynamic = s.validation;
    }
    validation = withCurrentCrl(mergeValidation(spec.validation.inline, dynamic), store);
  }
  return { resolved: { certs, validation } };
}

/** A CRL given as a file, as the file reads now (crl.ts: read again per context build). */
function withCurrentCrl(
  v: ValidationMaterial | undefined,
  store: SecretStore,
): ValidationMaterial | undefined {
  const crl = v?.crl;
  if (!crl?.file) return v;
  return { ...v!, crl: { ...crl, pems: store.crlFile(crl.file, crl.pems) } };
}

/** Whether the peer's chain is checked against trust anchors (Envoy skips it without any). */
export function verifiesChain(v: ValidationMaterial | undefined): boolean {
  return v !== undefined && !v.acceptUntrusted && (v.trustedCa !== undefined || v.systemRoots);
}

/** node:tls secure context options for a resolved spec. */
export function secureContextOptions(
  spec: CommonTlsSpec,
  r: Resolved,
  side: 'server' | 'client',
): SecureContextOptions {
  // Envoy's defaults: TLS 1.2 minimum; 1.3 maximum for servers, 1.2 for clients.
  const minVersion = spec.minVersion ?? 'TLSv1.2';
  const fallbackMax = side === 'server' || minVersion === 'TLSv1.3' ? 'TLSv1.3' : 'TLSv1.2';
  const o: SecureContextOptions = { minVersion, maxVersion: spec.maxVersion ?? fallbackMax };
  if (r.certs.length > 0) {
    o.cert = r.certs.map((c) => c.chain);
    o.key = r.certs.map((c) => ({ pem: c.key, passphrase: c.passphrase }));
  }
  const v = r.validation;
  if (v?.trustedCa || v?.systemRoots) {
    const cas: (string | Buffer)[] = [];
    if (v.trustedCa) cas.push(v.trustedCa);
    if (v.systemRoots) cas.push(...rootCertificates);
    o.ca = cas;
    const crls = crlPems(v);
    if (crls.length > 0) o.crl = crls;
  }
  if (spec.ciphers) o.ciphers = spec.ciphers;
  // Envoy's default groups. node's ('auto', OpenSSL 3.5) put the X25519MLKEM768
  // hybrid first, whose key share costs more than the rest of a resumed handshake.
  o.ecdhCurve = spec.ecdhCurve ?? ENVOY_DEFAULT_CURVES;
  if (spec.sigalgs) o.sigalgs = spec.sigalgs;
  return o;
}
