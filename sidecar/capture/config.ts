// The capture configuration: Istio's istio-iptables options, parsed and checked
// once so the rule builder only ever sees valid values. Input strings keep
// Istio's conventions: comma lists, '*' for "all", '' for "none".
import ipaddr from 'ipaddr.js';
import { CaptureError } from './errors.ts';

/** The options as the command line gives them (every list still a comma string). */
export interface CaptureInput {
  proxyPort?: string;
  inboundCapturePort?: string;
  inboundTunnelPort?: string;
  proxyUid?: string;
  proxyGid?: string;
  interceptionMode?: string;
  inboundPorts?: string;
  inboundExcludePorts?: string;
  outboundExcludePorts?: string;
  outboundIncludePorts?: string;
  outboundIncludeCidrs?: string;
  outboundExcludeCidrs?: string;
  redirectDns?: boolean;
  captureAllDns?: boolean;
  dnsServers?: string[];
  ipv6?: boolean;
}

export interface CidrSet {
  /** '*' was given: every destination. */
  wildcard: boolean;
  v4: string[];
  v6: string[];
  /** A loopback range is listed: app-to-self traffic over lo is then captured too (as in Istio). */
  hasLoopback: boolean;
}

export interface CaptureConfig {
  proxyPort: string;
  inboundCapturePort: string;
  inboundTunnelPort: string;
  proxyUids: string[];
  proxyGids: string[];
  interceptionMode: 'REDIRECT';
  /** '*' = every inbound port, a list = only those, [] = no inbound capture. */
  inboundPorts: '*' | string[];
  inboundExcludePorts: string[];
  outboundExcludePorts: string[];
  outboundIncludePorts: string[];
  outboundIncludeCidrs: CidrSet;
  outboundExcludeCidrs: CidrSet;
  redirectDns: boolean;
  captureAllDns: boolean;
  dnsServersV4: string[];
  dnsServersV6: string[];
  ipv6: boolean;
}

/** Flag spellings, so an error names the flag the user typed (Istio's names). */
export const FLAG_NAMES: Record<keyof CaptureInput, string> = {
  proxyPort: '-p/--envoy-port',
  inboundCapturePort: '-z/--inbound-capture-port',
  inboundTunnelPort: '-e/--inbound-tunnel-port',
  proxyUid: '-u/--proxy-uid',
  proxyGid: '-g/--proxy-gid',
  interceptionMode: '-m/--istio-inbound-interception-mode',
  inboundPorts: '-b/--istio-inbound-ports',
  inboundExcludePorts: '-d/--istio-local-exclude-ports',
  outboundExcludePorts: '-o/--istio-local-outbound-ports-exclude',
  outboundIncludePorts: '-q/--istio-outbound-ports',
  outboundIncludeCidrs: '-i/--istio-service-cidr',
  outboundExcludeCidrs: '-x/--istio-service-exclude-cidr',
  redirectDns: '--redirect-dns',
  captureAllDns: '--capture-all-dns',
  dnsServers: 'DNS servers',
  ipv6: '--ipv6',
};

function bad(key: keyof CaptureInput, value: string, why: string): CaptureError {
  return new CaptureError(
    'PETREL_CAPTURE_OPTION',
    `${FLAG_NAMES[key]} ${JSON.stringify(value)}: ${why}`,
  );
}

function splitList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function isPort(s: string): boolean {
  if (!/^\d{1,5}$/.test(s)) return false;
  const n = Number(s);
  return n >= 1 && n <= 65535;
}

/** A port or an iptables port range `lo:hi` (both --dport and multiport accept it). */
function checkPortItem(key: keyof CaptureInput, whole: string, item: string): string {
  const range = item.split(':');
  if (
    range.length === 2 &&
    isPort(range[0]!) &&
    isPort(range[1]!) &&
    Number(range[0]) <= Number(range[1])
  )
    return item;
  if (range.length === 1 && isPort(item)) return String(Number(item));
  throw bad(key, whole, `"${item}" is not a port (1..65535) or a range lo:hi`);
}

function portList(key: keyof CaptureInput, value: string | undefined): string[] {
  return splitList(value).map((item) => checkPortItem(key, value ?? '', item));
}

function singlePort(key: keyof CaptureInput, value: string | undefined, fallback: number): string {
  if (value === undefined || value.trim() === '') return String(fallback);
  if (!isPort(value.trim())) throw bad(key, value, 'must be a port number 1..65535');
  return String(Number(value.trim()));
}

/** iptables' owner match takes a numeric id or a user/group name. */
function ownerList(
  key: keyof CaptureInput,
  value: string | undefined,
  fallback: string[],
): string[] {
  const items = value === undefined ? fallback : splitList(value);
  for (const item of items) {
    if (!/^(\d+|[a-z_][a-z0-9_.-]*)$/i.test(item))
      throw bad(key, value ?? '', `"${item}" is not a numeric id or a name`);
  }
  return items;
}

/** Canonical network form (host bits cleared), which is also what iptables-save prints. */
function cidrSet(
  key: keyof CaptureInput,
  value: string | undefined,
  allowWildcard: boolean,
): CidrSet {
  const set: CidrSet = { wildcard: false, v4: [], v6: [], hasLoopback: false };
  const items = splitList(value);
  if (items.includes('*')) {
    if (!allowWildcard) throw bad(key, value ?? '', "'*' is not allowed here");
    if (items.length > 1) throw bad(key, value ?? '', "'*' cannot be combined with other ranges");
    set.wildcard = true;
    return set;
  }
  for (const item of items) {
    let parsed: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      parsed = ipaddr.parseCIDR(item);
    } catch {
      throw bad(key, value ?? '', `"${item}" is not a CIDR range like 10.0.0.0/8 or fd00::/8`);
    }
    const [addr, bits] = parsed;
    if (addr.range() === 'loopback') set.hasLoopback = true;
    if (addr.kind() === 'ipv4')
      set.v4.push(`${ipaddr.IPv4.networkAddressFromCIDR(item).toString()}/${bits}`);
    else set.v6.push(`${ipaddr.IPv6.networkAddressFromCIDR(item).toString()}/${bits}`);
  }
  return set;
}

function dnsServers(servers: string[]): { v4: string[]; v6: string[] } {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const s of servers) {
    if (!ipaddr.isValid(s)) throw bad('dnsServers', s, 'is not an IP address');
    const addr = ipaddr.parse(s);
    if (addr.kind() === 'ipv4') v4.push(addr.toString());
    else v6.push(addr.toString());
  }
  return { v4, v6 };
}

/** Parses and checks every option; throws one CaptureError naming the flag and value at fault. */
export function parseCaptureConfig(input: CaptureInput): CaptureConfig {
  const mode = (input.interceptionMode ?? 'REDIRECT').trim() || 'REDIRECT';
  if (mode === 'TPROXY') {
    throw new CaptureError(
      'PETREL_CAPTURE_UNSUPPORTED',
      `${FLAG_NAMES.interceptionMode} TPROXY: not implemented, use REDIRECT (the proxy then needs no IP_TRANSPARENT)`,
    );
  }
  if (mode !== 'REDIRECT') throw bad('interceptionMode', mode, 'must be REDIRECT');

  const inboundRaw = input.inboundPorts?.trim() ?? '';
  const inboundPorts: '*' | string[] =
    inboundRaw === '*' ? '*' : portList('inboundPorts', inboundRaw);
  const proxyUids = ownerList('proxyUid', input.proxyUid, ['1337']);
  const outboundExcludeCidrs = cidrSet('outboundExcludeCidrs', input.outboundExcludeCidrs, false);
  const dns = dnsServers(input.dnsServers ?? []);
  return {
    proxyPort: singlePort('proxyPort', input.proxyPort, 15001),
    inboundCapturePort: singlePort('inboundCapturePort', input.inboundCapturePort, 15006),
    inboundTunnelPort: singlePort('inboundTunnelPort', input.inboundTunnelPort, 15008),
    proxyUids,
    // Istio: the gid list defaults to the uid list.
    proxyGids: ownerList('proxyGid', input.proxyGid, proxyUids),
    interceptionMode: 'REDIRECT',
    inboundPorts,
    inboundExcludePorts: portList('inboundExcludePorts', input.inboundExcludePorts),
    outboundExcludePorts: portList('outboundExcludePorts', input.outboundExcludePorts),
    outboundIncludePorts: portList('outboundIncludePorts', input.outboundIncludePorts),
    outboundIncludeCidrs: cidrSet('outboundIncludeCidrs', input.outboundIncludeCidrs, true),
    outboundExcludeCidrs,
    redirectDns: input.redirectDns ?? false,
    captureAllDns: input.captureAllDns ?? false,
    dnsServersV4: dns.v4,
    dnsServersV6: dns.v6,
    ipv6: input.ipv6 ?? false,
  };
}
