// `proxy-config secret` rows as istioctl prints them: each SDS secret's
// certificate (the leaf of a chain, or the CA of a validation context) read
// with node:crypto, its serial in lower-case hex and its validity in RFC 3339.
import { X509Certificate } from 'node:crypto';
import { obj, str, type DumpedResource, type Json } from './config-dump.ts';
import { compareText } from './table.ts';

export const SECRET_HEADERS = [
  'RESOURCE NAME',
  'TYPE',
  'STATUS',
  'VALID CERT',
  'SERIAL NUMBER',
  'NOT AFTER',
  'NOT BEFORE',
];

/** The PEM text of an Envoy DataSource (inline bytes are base64 in Petrel's object form). */
function pemOf(source: Json): string | undefined {
  if (typeof source.inline_string === 'string') return source.inline_string;
  if (typeof source.inline_bytes === 'string')
    return Buffer.from(source.inline_bytes, 'base64').toString('utf8');
  return undefined; // a file or env var the dump does not carry
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The first certificate of a PEM bundle: the leaf of a chain (X509Certificate reads one). */
function firstPem(pem: string): string | undefined {
  return /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(pem)?.[0];
}

function certColumns(text: string | undefined, now: Date): string[] {
  const pem = text && firstPem(text);
  if (!pem) return ['false', '-', '-', '-'];
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return ['false', '-', '-', '-'];
  }
  const valid = cert.validFromDate <= now && now <= cert.validToDate;
  return [
    String(valid),
    BigInt(`0x${cert.serialNumber}`).toString(16),
    rfc3339(cert.validToDate),
    rfc3339(cert.validFromDate),
  ];
}

export function secretRows(secrets: readonly DumpedResource[], now = new Date()): string[][] {
  const rows: string[][] = [];
  for (const s of [...secrets].sort((a, b) => compareText(a.name, b.name))) {
    const r = s.resource;
    if (r.tls_certificate !== undefined) {
      const pem = pemOf(obj(obj(r.tls_certificate).certificate_chain));
      rows.push([s.name, 'Cert Chain', s.status, ...certColumns(pem, now)]);
    }
    if (r.validation_context !== undefined) {
      const pem = pemOf(obj(obj(r.validation_context).trusted_ca));
      rows.push([s.name, 'CA', s.status, ...certColumns(pem, now)]);
    }
    if (r.tls_certificate === undefined && r.validation_context === undefined)
      rows.push([s.name || str(r.name), '-', s.status, 'false', '-', '-', '-']);
  }
  return rows;
}
