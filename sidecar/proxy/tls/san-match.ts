// Subject alternative name checks of a CertificateValidationContext:
// match_typed_subject_alt_names (a SAN type plus a StringMatcher) and the older
// match_subject_alt_names (a StringMatcher tried against DNS, URI, email and IP
// SANs, as Envoy does). A certificate passes when any SAN satisfies any matcher;
// no matchers means any SAN will do.
import type { PeerCertificate } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import type { Issues } from '../config/issues.ts';
import { asArray, asObj, asString } from '../config/values.ts';
import { compileStringMatcher, type StringPredicate } from '../match/string-matcher.ts';

export type SanType = 'DNS' | 'URI' | 'EMAIL' | 'IP_ADDRESS';

export interface SanEntry {
  type: SanType | 'OTHER';
  value: string;
}

export interface SanMatcher {
  types: readonly SanType[];
  test: StringPredicate;
  /** An exact DNS matcher also accepts a wildcard SAN covering the name (Envoy's dnsNameMatch). */
  exactDns: string | undefined;
}

const ANY_TYPE: readonly SanType[] = ['DNS', 'URI', 'EMAIL', 'IP_ADDRESS'];
const NODE_TYPES: Record<string, SanType> = {
  DNS: 'DNS',
  URI: 'URI',
  email: 'EMAIL',
  'IP Address': 'IP_ADDRESS',
};

/**
 * SAN entries from node's subjectAltName text ("DNS:a, URI:spiffe://…, IP Address:1.2.3.4").
 * Node quotes an entry as a JSON string when it holds a comma or a quote.
 */
export function sanEntries(text: string | undefined): SanEntry[] {
  if (!text) return [];
  const out: SanEntry[] = [];
  const entry = /(?:^|, )([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (let m = entry.exec(text); m; m = entry.exec(text)) {
    const value = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
    out.push({ type: NODE_TYPES[m[1]!] ?? 'OTHER', value });
  }
  return out;
}

export function certificateSans(cert: PeerCertificate | X509Certificate | undefined): SanEntry[] {
  if (!cert) return [];
  const text =
    'subjectaltname' in cert ? cert.subjectaltname : (cert as X509Certificate).subjectAltName;
  return sanEntries(text);
}

/** The first URI SAN: Envoy's %DOWNSTREAM_PEER_URI_SAN%, the SPIFFE identity in a mesh. */
export function firstUriSan(sans: readonly SanEntry[]): string {
  return sans.find((s) => s.type === 'URI')?.value ?? '';
}

export function compileSanMatchers(vc: Record<string, unknown>, issues: Issues): SanMatcher[] {
  const out: SanMatcher[] = [];
  asArray(vc.match_typed_subject_alt_names).forEach((raw, i) => {
    const at = issues.at('match_typed_subject_alt_names').at(i);
    const o = asObj(raw) ?? {};
    const type = asString(o.san_type);
    if (type === 'OTHER_NAME' || type === undefined || !ANY_TYPE.includes(type as SanType)) {
      at.add(`san_type ${String(type)} is not supported (DNS, URI, EMAIL, IP_ADDRESS)`, 'san_type');
      return;
    }
    const test = compileStringMatcher(o.matcher, at, 'matcher');
    if (test) out.push({ types: [type as SanType], test, exactDns: exactOf(o.matcher, type) });
  });
  asArray(vc.match_subject_alt_names).forEach((m, i) => {
    const test = compileStringMatcher(m, issues.at('match_subject_alt_names'), `[${i}]`);
    if (test) out.push({ types: ANY_TYPE, test, exactDns: exactOf(m, 'DNS') });
  });
  return out;
}

function exactOf(matcher: unknown, type: string): string | undefined {
  const o = asObj(matcher);
  return type === 'DNS' && typeof o?.exact === 'string' && o.ignore_case !== true
    ? o.exact
    : undefined;
}

/** `*.example.com` covers `a.example.com`, not `example.com` nor `a.b.example.com`. */
function wildcardCovers(san: string, name: string): boolean {
  if (!san.startsWith('*.')) return false;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot).toLowerCase() === san.slice(1).toLowerCase();
}

export function sansMatch(sans: readonly SanEntry[], matchers: readonly SanMatcher[]): boolean {
  if (matchers.length === 0) return true;
  for (const m of matchers) {
    for (const s of sans) {
      if (s.type === 'OTHER' || !m.types.includes(s.type)) continue;
      if (m.test(s.value)) return true;
      if (s.type === 'DNS' && m.exactDns !== undefined && wildcardCovers(s.value, m.exactDns))
        return true;
    }
  }
  return false;
}
