// How a sidecar receives traffic. Istio's proxies say it in node metadata
// INTERCEPTION_MODE (REDIRECT by default, TPROXY, or NONE when no iptables
// capture exists, e.g. `petrel local` without --capture or a VM). In NONE mode
// nothing is redirected to 15001/15006, so Istio builds no virtual listeners and
// binds real ports instead: outbound listeners on localhost, inbound ones from the
// Sidecar's `ingress` (istio pilot/pkg/networking/core listener_inbound.go,
// getBindToPort).
import type { Proxy } from '../../model/proxy.ts';

export const LOCALHOST_IPV4 = '127.0.0.1';
export const LOCALHOST_IPV6 = '::1';

export function interceptionNone(proxy: Proxy): boolean {
  return String(proxy.metadata.INTERCEPTION_MODE ?? '').toUpperCase() === 'NONE';
}

/**
 * Whether a Sidecar listener binds a real port: captureMode NONE says so, IPTABLES
 * says not, DEFAULT (or absent) follows the proxy's interception mode.
 */
export function bindsToPort(captureMode: string | undefined, proxy: Proxy): boolean {
  if (captureMode === undefined || captureMode === 'DEFAULT') return interceptionNone(proxy);
  return captureMode === 'NONE';
}

/** Whether the proxy has addresses and all are IPv6: its listeners and DNS lookups are then v6. */
export function ipv6Only(proxy: Proxy): boolean {
  return proxy.ips.length > 0 && proxy.ips.every((ip) => ip.includes(':'));
}

/** The proxy's localhost: `127.0.0.1`, or `::1` for a proxy with only IPv6 addresses. */
export function localhostAddress(proxy: Proxy): string {
  return ipv6Only(proxy) ? LOCALHOST_IPV6 : LOCALHOST_IPV4;
}
