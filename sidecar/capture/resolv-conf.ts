// The pod's DNS servers, from resolv.conf `nameserver` lines: DNS capture
// redirects only traffic to these (as Istio does), so a local forwarder
// behind them cannot loop back into the agent.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

export function parseNameservers(text: string): string[] {
  const servers: string[] = [];
  for (const line of text.split('\n')) {
    const words = line
      .replace(/[#;].*$/, '')
      .trim()
      .split(/\s+/);
    // An IPv6 server may carry a zone (fe80::1%eth0), which iptables cannot match on: skip it.
    if (
      words[0] === 'nameserver' &&
      words[1] &&
      !words[1].includes('%') &&
      isIP(words[1]) !== 0 &&
      !servers.includes(words[1])
    )
      servers.push(words[1]);
  }
  return servers;
}

/** Nameservers of `path`; none when the file is missing (DNS capture then turns itself off, as in Istio). */
export function readNameservers(path = '/etc/resolv.conf'): string[] {
  try {
    return parseNameservers(readFileSync(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
