// Listener addresses: the wildcard of the proxy's IP family, and Envoy's listener shape.
import type { Proxy } from '../../model/proxy.ts';
import { socketAddress } from '../common/envoy.ts';
import { ipv6Only } from '../common/interception.ts';

/** `0.0.0.0`, or `::` for a proxy that has only IPv6 addresses. */
export function wildcardAddress(proxy: Proxy): string {
  return ipv6Only(proxy) ? '::' : '0.0.0.0';
}

export function listenerAddress(address: string, port: number): Record<string, unknown> {
  return socketAddress(address, port);
}
