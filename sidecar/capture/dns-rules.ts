// DNS capture (--redirect-dns): TCP and UDP port 53 to the agent's DNS proxy
// on 15053, and conntrack zones in `raw`. Follows Istio's SetupDNSRedir and
// addDNSConntrackZones (tools/istio-iptables/pkg/capture/run.go).
import type { CaptureConfig } from './config.ts';
import { DNS_PROXY_PORT, ISTIO_INBOUND, ISTIO_OUTPUT, ISTIO_OUTPUT_DNS } from './chains.ts';
import type { RuleSet } from './rule-set.ts';

/** Appends the DNS capture rules; called after the proxy-owner rules, before the localhost RETURN. */
export function dnsRules(rs: RuleSet, cfg: CaptureConfig): void {
  const all = cfg.captureAllDns;
  const v4 = cfg.dnsServersV4;
  const v6 = cfg.dnsServersV6;
  rs.append('raw', 'OUTPUT', '-j', ISTIO_OUTPUT_DNS);
  if (all || v4.length > 0) rs.appendV4('nat', ISTIO_OUTPUT, '-j', ISTIO_OUTPUT_DNS);
  if (all || v6.length > 0) rs.appendV6('nat', ISTIO_OUTPUT, '-j', ISTIO_OUTPUT_DNS);

  for (const proto of ['tcp', 'udp'] as const) {
    // Istio spells the TCP one --to-ports and the UDP one --to-port; both mean the same.
    const to = proto === 'tcp' ? '--to-ports' : '--to-port';
    if (all) {
      rs.append(
        'nat',
        ISTIO_OUTPUT_DNS,
        '-p',
        proto,
        '--dport',
        '53',
        '-j',
        'REDIRECT',
        to,
        DNS_PROXY_PORT,
      );
      continue;
    }
    // Only the resolv.conf servers: a local DNS forwarder behind them must not loop back to the agent.
    for (const s of v4)
      rs.appendV4(
        'nat',
        ISTIO_OUTPUT_DNS,
        '-p',
        proto,
        '--dport',
        '53',
        '-d',
        `${s}/32`,
        '-j',
        'REDIRECT',
        to,
        DNS_PROXY_PORT,
      );
    for (const s of v6)
      rs.appendV6(
        'nat',
        ISTIO_OUTPUT_DNS,
        '-p',
        proto,
        '--dport',
        '53',
        '-d',
        `${s}/128`,
        '-j',
        'REDIRECT',
        to,
        DNS_PROXY_PORT,
      );
  }

  // Separate conntrack zones for agent↔upstream (1) and app↔agent (2) UDP DNS, against
  // UDP conntrack races between the two legs.
  for (const [match, ids] of [
    ['--uid-owner', cfg.proxyUids],
    ['--gid-owner', cfg.proxyGids],
  ] as const) {
    for (const id of ids) {
      rs.append(
        'raw',
        ISTIO_OUTPUT_DNS,
        '-p',
        'udp',
        '--dport',
        '53',
        '-m',
        'owner',
        match,
        id,
        '-j',
        'CT',
        '--zone',
        '1',
      );
      rs.append(
        'raw',
        ISTIO_OUTPUT_DNS,
        '-p',
        'udp',
        '--sport',
        DNS_PROXY_PORT,
        '-m',
        'owner',
        match,
        id,
        '-j',
        'CT',
        '--zone',
        '2',
      );
    }
  }
  if (all) {
    rs.append('raw', 'PREROUTING', '-j', ISTIO_INBOUND);
    rs.append('raw', ISTIO_OUTPUT_DNS, '-p', 'udp', '--dport', '53', '-j', 'CT', '--zone', '2');
    rs.append('raw', ISTIO_INBOUND, '-p', 'udp', '--sport', '53', '-j', 'CT', '--zone', '1');
    return;
  }
  // Conntrack zones per nameserver: queries out in zone 2, answers in zone 1, per family.
  const families = [
    { servers: v4, bits: 32, append: rs.appendV4.bind(rs) },
    { servers: v6, bits: 128, append: rs.appendV6.bind(rs) },
  ];
  for (const { servers, bits, append } of families) {
    if (servers.length > 0) append('raw', 'PREROUTING', '-j', ISTIO_INBOUND);
    for (const s of servers) {
      const host = `${s}/${bits}`;
      append(
        'raw',
        ISTIO_OUTPUT_DNS,
        '-p',
        'udp',
        '--dport',
        '53',
        '-d',
        host,
        '-j',
        'CT',
        '--zone',
        '2',
      );
      append(
        'raw',
        ISTIO_INBOUND,
        '-p',
        'udp',
        '--sport',
        '53',
        '-s',
        host,
        '-j',
        'CT',
        '--zone',
        '1',
      );
    }
  }
}
