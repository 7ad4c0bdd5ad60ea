// Name resolution for STRICT_DNS and LOGICAL_DNS clusters. getaddrinfo (dns.lookup)
// rather than c-ares so /etc/hosts names like "localhost" resolve as users expect.
import dns from 'node:dns';
import net from 'node:net';
import type { DnsFamily } from './cluster-spec.ts';

export async function resolveAddresses(name: string, family: DnsFamily): Promise<string[]> {
  if (net.isIP(name)) return [name];
  const fam = family === 'V4_ONLY' ? 4 : family === 'V6_ONLY' ? 6 : 0;
  const answers = await dns.promises.lookup(name, { all: true, family: fam });
  let addrs = answers.map((a) => a);
  if (family === 'V4_PREFERRED' || family === 'AUTO') {
    // AUTO prefers IPv6 in Envoy, V4_PREFERRED prefers IPv4; fall back to the other when none.
    const want = family === 'AUTO' ? 6 : 4;
    const preferred = addrs.filter((a) => a.family === want);
    if (preferred.length > 0) addrs = preferred;
    else addrs = addrs.filter((a) => a.family !== want);
  }
  return [...new Set(addrs.map((a) => a.address))];
}
