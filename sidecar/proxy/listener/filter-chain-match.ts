// FilterChainMatch and Envoy's selection order: destination port, destination IP,
// server name, transport protocol, application protocols, direct source IP,
// source type, source IP, source port. At each step the most specific criterion
// that matches wins; chains without that criterion are the fallback.
// https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/listener/v3/listener_components.proto#config-listener-v3-filterchainmatch
import net from 'node:net';
import type { Issues } from '../config/issues.ts';
import { asArray, asNumber, asObj, asString, wrappedNumber, type Obj } from '../config/values.ts';

interface Cidr {
  list: net.BlockList;
  len: number;
}

export interface ChainMatch {
  destinationPort: number | undefined;
  destinationIps: Cidr[];
  serverNames: string[];
  transportProtocol: string | undefined;
  applicationProtocols: string[];
  directSourceIps: Cidr[];
  sourceType: 'ANY' | 'SAME_IP_OR_LOOPBACK' | 'EXTERNAL';
  sourceIps: Cidr[];
  sourcePorts: number[];
}

export interface ConnectionFacts {
  destinationIp: string;
  destinationPort: number;
  sourceIp: string;
  sourcePort: number;
  transport: string;
  application: string | undefined;
  /** TLS: the ClientHello's SNI. */
  serverName?: string;
  /** TLS: the ALPN protocols the client offers (matched instead of `application`). */
  applicationProtocols?: readonly string[];
}

export function compileChainMatch(m: Obj | undefined, issues: Issues): ChainMatch {
  const o = m ?? {};
  const serverNames = asArray(o.server_names).map((n) => String(n).toLowerCase());
  serverNames.forEach((n, i) => {
    if (n === '*' || (n.includes('*') && !/^\*\.[^*]+$/.test(n)))
      issues.add(
        `server name ${n} is not supported: only whole-label wildcards like *.example.com`,
        `server_names[${i}]`,
      );
  });
  const sourceType = (asString(o.source_type) ?? 'ANY') as ChainMatch['sourceType'];
  return {
    destinationPort: wrappedNumber(o.destination_port),
    destinationIps: cidrs(o.prefix_ranges, issues, 'prefix_ranges'),
    serverNames,
    transportProtocol: asString(o.transport_protocol) || undefined,
    applicationProtocols: asArray(o.application_protocols).map(String),
    directSourceIps: cidrs(o.direct_source_prefix_ranges, issues, 'direct_source_prefix_ranges'),
    sourceType,
    sourceIps: cidrs(o.source_prefix_ranges, issues, 'source_prefix_ranges'),
    sourcePorts: asArray(o.source_ports).map((p) => asNumber(p) ?? -1),
  };
}

/** Whether any chain needs the first bytes (transport or application protocol). */
export function needsInspection(matches: readonly ChainMatch[]): boolean {
  return matches.some(
    (m) =>
      m.transportProtocol !== undefined ||
      m.applicationProtocols.length > 0 ||
      m.serverNames.length > 0,
  );
}

function cidrs(v: unknown, issues: Issues, field: string): Cidr[] {
  const out: Cidr[] = [];
  asArray(v).forEach((r, i) => {
    const o = asObj(r);
    const addr = asString(o?.address_prefix);
    const type = addr ? net.isIP(addr) : 0;
    if (!addr || type === 0)
      return issues.add(
        `address_prefix must be an IP address, got ${JSON.stringify(addr)}`,
        `${field}[${i}].address_prefix`,
      );
    const family = type === 6 ? 'ipv6' : 'ipv4';
    const len = wrappedNumber(o!.prefix_len) ?? (type === 6 ? 128 : 32);
    if (len < 0 || len > (type === 6 ? 128 : 32))
      return issues.add(`prefix_len ${len} is out of range`, `${field}[${i}].prefix_len`);
    const list = new net.BlockList();
    list.addSubnet(addr, len, family);
    out.push({ list, len });
  });
  return out;
}

/** "::ffff:10.0.0.1" → "10.0.0.1", so IPv4 clients of dual-stack sockets match IPv4 ranges. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

function longestPrefix(ranges: Cidr[], ip: string): number {
  const family = net.isIPv6(ip) ? 'ipv6' : 'ipv4';
  let best = -1;
  for (const r of ranges) if (r.len > best && r.list.check(ip, family)) best = r.len;
  return best;
}

function isLoopbackOrSame(src: string, dst: string): boolean {
  return src === dst || src.startsWith('127.') || src === '::1';
}

/**
 * How well a chain's server_names fit the SNI: an exact name beats any wildcard, and
 * a longer wildcard suffix beats a shorter one (www.example.com, then *.example.com,
 * then *.com); -1 when none fits or the connection has no SNI.
 */
function serverNameScore(names: readonly string[], sni: string | undefined): number {
  if (!sni) return -1;
  let best = -1;
  for (const n of names) {
    if (n === sni) return Number.MAX_SAFE_INTEGER;
    if (n.startsWith('*.') && sni.endsWith(n.slice(1)) && sni.length > n.length - 1)
      best = Math.max(best, n.length);
  }
  return best;
}

/**
 * Picks the index of the chain for a connection, or -1. Each stage keeps the chains
 * with the most specific matching value; if none has one, those without the criterion.
 */
export function selectChain(matches: readonly ChainMatch[], f: ConnectionFacts): number {
  let cand = matches.map((_m, i) => i);
  const stage = (score: (m: ChainMatch) => number | undefined): void => {
    // score: undefined = criterion absent (fallback), -1 = criterion present but no match, else specificity
    let best = -1;
    for (const i of cand) {
      const s = score(matches[i]!);
      if (s !== undefined && s > best) best = s;
    }
    cand =
      best >= 0
        ? cand.filter((i) => score(matches[i]!) === best)
        : cand.filter((i) => score(matches[i]!) === undefined);
  };
  stage((m) =>
    m.destinationPort === undefined ? undefined : m.destinationPort === f.destinationPort ? 1 : -1,
  );
  stage((m) =>
    m.destinationIps.length === 0 ? undefined : longestPrefix(m.destinationIps, f.destinationIp),
  );
  stage((m) =>
    m.serverNames.length === 0 ? undefined : serverNameScore(m.serverNames, f.serverName),
  );
  stage((m) =>
    m.transportProtocol === undefined ? undefined : m.transportProtocol === f.transport ? 1 : -1,
  );
  const offered = f.applicationProtocols ?? (f.application !== undefined ? [f.application] : []);
  stage((m) =>
    m.applicationProtocols.length === 0
      ? undefined
      : offered.some((p) => m.applicationProtocols.includes(p))
        ? 1
        : -1,
  );
  stage((m) =>
    m.directSourceIps.length === 0 ? undefined : longestPrefix(m.directSourceIps, f.sourceIp),
  );
  stage((m) => {
    if (m.sourceType === 'ANY') return undefined;
    const local = isLoopbackOrSame(f.sourceIp, f.destinationIp);
    return (m.sourceType === 'SAME_IP_OR_LOOPBACK') === local ? 1 : -1;
  });
  stage((m) => (m.sourceIps.length === 0 ? undefined : longestPrefix(m.sourceIps, f.sourceIp)));
  stage((m) =>
    m.sourcePorts.length === 0 ? undefined : m.sourcePorts.includes(f.sourcePort) ? 1 : -1,
  );
  return cand.length > 0 ? cand[0]! : -1;
}
