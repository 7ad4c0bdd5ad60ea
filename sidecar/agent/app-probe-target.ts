// Where an app probe goes and which source address it leaves from.
//
// Destination: the kubelet probes the pod IP (or the probe's `host` field), so
// the agent does too: `host` when set, else the pod IP (INSTANCE_IP), else
// 127.0.0.1 when no pod IP is known (pilot-agent dials ":port", i.e. localhost).
// Istio ignores `host`; the kubelet honours it, and the agent stands in for the kubelet.
//
// Source: the proxy runs as uid 1337, which the capture rules leave alone on the
// way out, but not towards the pod's own IP over lo: Istio's (and Petrel's, see
// sidecar/capture/rules.ts) `-o lo ! -d 127.0.0.1 -m owner --uid-owner 1337 -j
// ISTIO_IN_REDIRECT` sends that to the inbound listener on 15006, where STRICT
// mTLS would refuse a plaintext probe. The rule before it returns anything from
// 127.0.0.6 (::6), the inbound passthrough source, so like pilot-agent the probe
// binds that source whenever it targets the pod itself (pod IP or loopback).
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { ProbeTarget } from './app-probers.ts';

export const PASSTHROUGH_SOURCE_V4 = '127.0.0.6';
export const PASSTHROUGH_SOURCE_V6 = '::6';

function isLoopback(ip: string): boolean {
  return isIP(ip) === 4 ? ip.startsWith('127.') : ip === '::1';
}

/** ::6 exists only once the capture init has added it to lo; without it binding fails (EADDRNOTAVAIL). */
function hasV6Passthrough(): boolean {
  return Object.values(networkInterfaces()).some((list) =>
    (list ?? []).some((a) => a.address === PASSTHROUGH_SOURCE_V6),
  );
}

/** The source address for a probe to `host`, or undefined to let the kernel choose. */
export function probeSource(host: string, podIps: readonly string[]): string | undefined {
  const family = isIP(host);
  if (family === 0 || !(podIps.includes(host) || isLoopback(host))) return undefined;
  if (family === 4) return PASSTHROUGH_SOURCE_V4; // all of 127/8 is on lo
  return hasV6Passthrough() ? PASSTHROUGH_SOURCE_V6 : undefined;
}

/** The target of a probe on `port`, with the probe's own `host` if it named one. */
export function probeTarget(
  port: number,
  host: string | undefined,
  podIps: readonly string[],
): ProbeTarget {
  const destination = host || podIps[0] || '127.0.0.1';
  const source = probeSource(destination, podIps);
  return { host: destination, port, ...(source ? { source } : {}) };
}

/** `host:port` with IPv6 literals bracketed, for URLs and Host headers. */
export function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
