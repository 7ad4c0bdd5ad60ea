// Istio's xDS resource names, so tools and dashboards that know Istio read Petrel's
// config unchanged: `outbound|9080|v1|reviews.default.svc.cluster.local`,
// `inbound|9080||`, route configs named by port, listeners `0.0.0.0_9080`.

export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';
export const INBOUND_PASSTHROUGH_CLUSTER = 'InboundPassthroughCluster';

export const VIRTUAL_OUTBOUND_LISTENER = 'virtualOutbound';
export const VIRTUAL_INBOUND_LISTENER = 'virtualInbound';
/** Istio's capture ports (iptables -p 15001 -z 15006). */
export const OUTBOUND_CAPTURE_PORT = 15001;
export const INBOUND_CAPTURE_PORT = 15006;
/** Source address inbound forwarding leaves from, so iptables does not capture it again. */
export const INBOUND_PASSTHROUGH_BIND_IPV4 = '127.0.0.6';
export const INBOUND_PASSTHROUGH_BIND_IPV6 = '::6';

export function outboundClusterName(
  port: number,
  subset: string | undefined,
  host: string,
): string {
  return `outbound|${port}|${subset ?? ''}|${host}`;
}

/**
 * Istio's DNS-SRV form of a subset key (model.BuildDNSSrvSubsetKey),
 * `outbound_.9080_.v1_.reviews.default.svc.cluster.local`: the SNI a sidecar sends
 * for mesh mTLS, and the name of the SNI-DNAT clusters an AUTO_PASSTHROUGH gateway
 * forwards that SNI to.
 */
export function dnsSrvSubsetKey(port: number, subset: string | undefined, host: string): string {
  return `outbound_.${port}_.${subset ?? ''}_.${host}`;
}

/**
 * Parses `outbound_.PORT_.SUBSET_.HOST`; undefined for names of another shape. The
 * host is what follows the third `_.`: host names may contain `_.` themselves only
 * after it, so splitting from the left is exact (as Istio's ParseSubsetKey).
 */
export function parseDnsSrvSubsetKey(name: string): ClusterKey | undefined {
  if (!name.startsWith('outbound_.')) return undefined;
  const rest = name.slice('outbound_.'.length);
  const portEnd = rest.indexOf('_.');
  if (portEnd < 0) return undefined;
  const subsetEnd = rest.indexOf('_.', portEnd + 2);
  if (subsetEnd < 0) return undefined;
  const portText = rest.slice(0, portEnd);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) return undefined;
  const host = rest.slice(subsetEnd + 2);
  if (!host) return undefined;
  return { direction: 'outbound', port, subset: rest.slice(portEnd + 2, subsetEnd), host };
}

export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

export interface ClusterKey {
  direction: 'outbound' | 'inbound';
  port: number;
  subset: string;
  host: string;
}

/** Parses `direction|port|subset|host`; undefined for names of another shape (BlackHoleCluster, …). */
export function parseClusterName(name: string): ClusterKey | undefined {
  const parts = name.split('|');
  if (parts.length !== 4) return undefined;
  const [direction, portText, subset, host] = parts as [string, string, string, string];
  if (direction !== 'outbound' && direction !== 'inbound') return undefined;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { direction, port, subset, host };
}

/** `0.0.0.0_9080`, `10.0.0.5_3306`: Istio's listener names (address_port). */
export function listenerName(address: string, port: number): string {
  return `${address}_${port}`;
}

/** `host:port` with IPv6 literals bracketed, as net.JoinHostPort does. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Splits `host:port` (or `[v6]:port`); port undefined when there is none. */
export function splitHostPort(name: string): { host: string; port?: number } {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(name);
  if (bracket) return { host: bracket[1]!, port: bracket[2] ? Number(bracket[2]) : undefined };
  const colon = name.lastIndexOf(':');
  if (colon < 0 || name.indexOf(':') !== colon) return { host: name };
  const portText = name.slice(colon + 1);
  if (!/^\d+$/.test(portText)) return { host: name };
  return { host: name.slice(0, colon), port: Number(portText) };
}

/** Istio's `/apis/networking.istio.io/v1/namespaces/NS/virtual-service/NAME` config reference. */
export function configPath(
  kind: 'VirtualService' | 'DestinationRule' | 'Gateway',
  namespace: string,
  name: string,
): string {
  const resource =
    kind === 'VirtualService'
      ? 'virtual-service'
      : kind === 'DestinationRule'
        ? 'destination-rule'
        : 'gateway';
  return `/apis/networking.istio.io/v1/namespaces/${namespace}/${resource}/${name}`;
}
