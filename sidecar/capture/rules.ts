// Istio's sidecar capture rules (REDIRECT mode), in Istio's order, so
// `iptables-save` in a Petrel pod reads like one in an Istio pod. Follows
// istio/tools/istio-iptables/pkg/capture/run.go (Run; the DNS part is in
// dns-rules.ts); differences are listed in sidecar/capture/README.md.
import type { CaptureConfig } from './config.ts';
import { RuleSet, VERSIONED, renderRestore, type Family } from './rule-set.ts';
import { ISTIO_INBOUND, ISTIO_IN_REDIRECT, ISTIO_OUTPUT, ISTIO_REDIRECT } from './chains.ts';
import { dnsRules } from './dns-rules.ts';

const LOOPBACK_V4 = '127.0.0.1/32';
const LOOPBACK_V6 = '::1/128';
/** The inbound passthrough source: the proxy binds it when forwarding to the app, so it is never recaptured. */
const PASSTHROUGH_V4 = '127.0.0.6/32';
const PASSTHROUGH_V6 = '::6/128';
/** multiport takes at most 15 ports per rule. */
const MULTIPORT_MAX = 15;

/** `--dport P` for one port, `-m multiport --dports a,b` for several (chunked by 15). */
function portMatches(ports: string[]): string[][] {
  if (ports.length === 1) return [['--dport', ports[0]!]];
  const out: string[][] = [];
  for (let i = 0; i < ports.length; i += MULTIPORT_MAX) {
    out.push(['-m', 'multiport', '--dports', ports.slice(i, i + MULTIPORT_MAX).join(',')]);
  }
  return out;
}

function inboundRules(rs: RuleSet, cfg: CaptureConfig): void {
  // An empty -b list disables inbound capture entirely (no PREROUTING jump).
  if (cfg.inboundPorts !== '*' && cfg.inboundPorts.length === 0) return;
  rs.append('nat', 'PREROUTING', '-p', 'tcp', '-j', ISTIO_INBOUND);
  if (cfg.inboundPorts === '*') {
    if (cfg.inboundExcludePorts.length > 0) {
      for (const m of portMatches(cfg.inboundExcludePorts))
        rs.append('nat', ISTIO_INBOUND, '-p', 'tcp', ...m, '-j', 'RETURN');
    }
    rs.append('nat', ISTIO_INBOUND, '-p', 'tcp', '-j', ISTIO_IN_REDIRECT);
    return;
  }
  for (const port of cfg.inboundPorts)
    rs.append('nat', ISTIO_INBOUND, '-p', 'tcp', '--dport', port, '-j', ISTIO_IN_REDIRECT);
}

/** Rules that keep the proxy's own traffic out of capture, except its calls back to this pod's IP. */
function proxyOwnerRules(rs: RuleSet, cfg: CaptureConfig, redirectDns: boolean): void {
  const owners: Array<['--uid-owner' | '--gid-owner', string]> = [
    ...cfg.proxyUids.map((u) => ['--uid-owner', u] as ['--uid-owner', string]),
    ...cfg.proxyGids.map((g) => ['--gid-owner', g] as ['--gid-owner', string]),
  ];
  const loopbackIncluded = cfg.outboundIncludeCidrs.hasLoopback;
  for (const [match, id] of owners) {
    // proxy → own pod IP over lo (app calls itself through a service VIP): send to inbound.
    // With DNS capture the uid rule also skips port 53 (agent → DNS server stays direct); Istio
    // applies that to the uid rule only.
    const portGuard =
      redirectDns && match === '--uid-owner'
        ? ['-m', 'multiport', '!', '--dports', `53,${cfg.inboundTunnelPort}`]
        : ['!', '--dport', cfg.inboundTunnelPort];
    rs.appendVersioned(
      LOOPBACK_V4,
      LOOPBACK_V6,
      'nat',
      ISTIO_OUTPUT,
      '-o',
      'lo',
      '!',
      '-d',
      VERSIONED,
      '-p',
      'tcp',
      ...portGuard,
      '-m',
      'owner',
      match,
      id,
      '-j',
      ISTIO_IN_REDIRECT,
    );
    // app → app over lo is not captured, unless loopback was explicitly included.
    if (!loopbackIncluded) {
      if (redirectDns)
        rs.append(
          'nat',
          ISTIO_OUTPUT,
          '-o',
          'lo',
          '-p',
          'tcp',
          '!',
          '--dport',
          '53',
          '-m',
          'owner',
          '!',
          match,
          id,
          '-j',
          'RETURN',
        );
      else
        rs.append('nat', ISTIO_OUTPUT, '-o', 'lo', '-m', 'owner', '!', match, id, '-j', 'RETURN');
    }
    // Everything else the proxy sends leaves uncaptured (no loop back into 15001).
    rs.append('nat', ISTIO_OUTPUT, '-m', 'owner', match, id, '-j', 'RETURN');
  }
}

function outboundRules(rs: RuleSet, cfg: CaptureConfig): void {
  // Every protocol enters ISTIO_OUTPUT; UDP only matters for DNS and port exclusions.
  rs.append('nat', 'OUTPUT', '-j', ISTIO_OUTPUT);
  // Port exclusions come first so they also beat the proxy's loop-back rule.
  for (const m of cfg.outboundExcludePorts.length > 0
    ? portMatches(cfg.outboundExcludePorts)
    : []) {
    rs.append('nat', ISTIO_OUTPUT, '-p', 'tcp', ...m, '-j', 'RETURN');
    rs.append('nat', ISTIO_OUTPUT, '-p', 'udp', ...m, '-j', 'RETURN');
  }
  rs.appendVersioned(
    PASSTHROUGH_V4,
    PASSTHROUGH_V6,
    'nat',
    ISTIO_OUTPUT,
    '-o',
    'lo',
    '-s',
    VERSIONED,
    '-j',
    'RETURN',
  );

  // Istio turns DNS capture off when there is nothing to capture it for.
  const redirectDns =
    cfg.redirectDns &&
    (cfg.captureAllDns || cfg.dnsServersV4.length > 0 || cfg.dnsServersV6.length > 0);
  proxyOwnerRules(rs, cfg, redirectDns);
  if (redirectDns) dnsRules(rs, cfg);

  // Envoy-aware apps and container-to-container calls use localhost: not captured.
  rs.appendVersioned(
    LOOPBACK_V4,
    LOOPBACK_V6,
    'nat',
    ISTIO_OUTPUT,
    '-d',
    VERSIONED,
    '-j',
    'RETURN',
  );
  for (const cidr of cfg.outboundExcludeCidrs.v4)
    rs.appendV4('nat', ISTIO_OUTPUT, '-d', cidr, '-j', 'RETURN');
  for (const cidr of cfg.outboundExcludeCidrs.v6)
    rs.appendV6('nat', ISTIO_OUTPUT, '-d', cidr, '-j', 'RETURN');
  for (const port of cfg.outboundIncludePorts)
    rs.append('nat', ISTIO_OUTPUT, '-p', 'tcp', '--dport', port, '-j', ISTIO_REDIRECT);
  const include = cfg.outboundIncludeCidrs;
  if (include.wildcard) {
    rs.append('nat', ISTIO_OUTPUT, '-j', ISTIO_REDIRECT);
  } else {
    for (const cidr of include.v4)
      rs.appendV4('nat', ISTIO_OUTPUT, '-d', cidr, '-j', ISTIO_REDIRECT);
    for (const cidr of include.v6)
      rs.appendV6('nat', ISTIO_OUTPUT, '-d', cidr, '-j', ISTIO_REDIRECT);
  }
}

/** The whole capture rule set for both families (IPv6 rules only with cfg.ipv6). */
export function buildCaptureRules(cfg: CaptureConfig): RuleSet {
  const rs = new RuleSet(cfg.ipv6);
  // Traffic to the HBONE tunnel port goes straight to the proxy, never through 15006.
  rs.append('nat', ISTIO_INBOUND, '-p', 'tcp', '--dport', cfg.inboundTunnelPort, '-j', 'RETURN');
  rs.append('nat', ISTIO_REDIRECT, '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', cfg.proxyPort);
  rs.append(
    'nat',
    ISTIO_IN_REDIRECT,
    '-p',
    'tcp',
    '-j',
    'REDIRECT',
    '--to-ports',
    cfg.inboundCapturePort,
  );
  inboundRules(rs, cfg);
  outboundRules(rs, cfg);
  return rs;
}

/** The iptables-restore input that installs the rules on a table set with no Istio chains yet. */
export function captureRestore(cfg: CaptureConfig, family: Family): string {
  return renderRestore(buildCaptureRules(cfg).rules(family));
}
