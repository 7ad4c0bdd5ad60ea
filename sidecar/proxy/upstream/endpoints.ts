// Endpoint specs from a ClusterLoadAssignment (EDS or a cluster's load_assignment).
import type { Issues } from '../config/issues.ts';
import { asArray, asNumber, asObj, asString, isObj, wrappedNumber } from '../config/values.ts';

export type HealthStatus =
  'UNKNOWN' | 'HEALTHY' | 'UNHEALTHY' | 'DRAINING' | 'TIMEOUT' | 'DEGRADED';

export interface EndpointSpec {
  address: string;
  port: number;
  /** For DNS clusters: resolve `address` before use. */
  hostname: string | undefined;
  weight: number;
  health: HealthStatus;
  /** "region/zone/sub_zone", the key locality-weighted balancing groups by. */
  locality: string;
  localityWeight: number;
  priority: number;
  metadata: Record<string, unknown> | undefined;
}

export interface SocketAddress {
  address: string;
  port: number;
}

const HEALTH = new Set(['UNKNOWN', 'HEALTHY', 'UNHEALTHY', 'DRAINING', 'TIMEOUT', 'DEGRADED']);

/** envoy.config.core.v3.Address with a socket_address (listeners: pipes and internal addresses are not supported). */
export function parseSocketAddress(
  v: unknown,
  issues: Issues,
  field: string,
  portRequired = true,
): SocketAddress | undefined {
  const addr = asObj(v);
  const sa = addr ? asObj(addr.socket_address) : undefined;
  if (!sa) {
    issues.add(
      addr && (addr.pipe || addr.envoy_internal_address)
        ? 'only socket_address is supported'
        : 'socket_address is required',
      field,
    );
    return undefined;
  }
  const address = asString(sa.address);
  if (!address) {
    issues.add('address is required', `${field}.socket_address.address`);
    return undefined;
  }
  if (sa.protocol !== undefined && sa.protocol !== 'TCP') {
    issues.add(
      `protocol ${String(sa.protocol)} is not supported (TCP only)`,
      `${field}.socket_address.protocol`,
    );
    return undefined;
  }
  if (sa.named_port !== undefined) {
    issues.add('named_port is not supported', `${field}.socket_address.named_port`);
    return undefined;
  }
  const port = asNumber(sa.port_value ?? (portRequired ? undefined : 0));
  if (port === undefined || !Number.isInteger(port) || port < 0 || port > 65535) {
    issues.add(
      `port_value must be 0..65535, got ${JSON.stringify(sa.port_value)}`,
      `${field}.socket_address.port_value`,
    );
    return undefined;
  }
  return { address, port };
}

/** Unix socket endpoints travel as their path in `address` (port 0): no IP starts with `/` or `@`. */
export function isPipeAddress(address: string): boolean {
  return address.startsWith('/') || address.startsWith('@');
}

/**
 * An endpoint's envoy.config.core.v3.Address: a socket_address, or a pipe (a unix
 * socket path, `@name` for the abstract namespace), which Istio uses for a Sidecar
 * ingress whose defaultEndpoint is `unix:///path`.
 */
function parseEndpointAddress(
  v: unknown,
  issues: Issues,
  field: string,
): SocketAddress | undefined {
  const pipe = asObj(asObj(v)?.pipe);
  if (!pipe) return parseSocketAddress(v, issues, field);
  const path = asString(pipe.path);
  if (!path || !isPipeAddress(path)) {
    issues.add('pipe.path must be an absolute path or @abstract name', `${field}.pipe.path`);
    return undefined;
  }
  return { address: path, port: 0 };
}

export function parseLoadAssignment(cla: unknown, issues: Issues): EndpointSpec[] {
  const out: EndpointSpec[] = [];
  if (!isObj(cla)) return out;
  asArray(cla.endpoints).forEach((le, i) => {
    const li = issues.at('endpoints').at(i);
    if (!isObj(le)) {
      li.add('expected LocalityLbEndpoints');
      return;
    }
    const loc = asObj(le.locality);
    const locality = loc
      ? `${asString(loc.region) ?? ''}/${asString(loc.zone) ?? ''}/${asString(loc.sub_zone) ?? ''}`
      : '//';
    const localityWeight = wrappedNumber(le.load_balancing_weight) ?? 0;
    const priority = asNumber(le.priority) ?? 0;
    asArray(le.lb_endpoints).forEach((lbe, j) => {
      const ei = li.at('lb_endpoints').at(j);
      if (!isObj(lbe)) {
        ei.add('expected LbEndpoint');
        return;
      }
      if (lbe.endpoint_name !== undefined) {
        ei.add('endpoint_name (named endpoints) is not supported', 'endpoint_name');
        return;
      }
      const ep = asObj(lbe.endpoint);
      const sa = parseEndpointAddress(ep?.address, ei, 'endpoint.address');
      if (!sa) return;
      const health = (asString(lbe.health_status) ?? 'UNKNOWN') as HealthStatus;
      if (!HEALTH.has(health)) {
        ei.add(`unknown health_status ${health}`, 'health_status');
        return;
      }
      const weight = wrappedNumber(lbe.load_balancing_weight) ?? 1;
      if (weight < 1) {
        ei.add('load_balancing_weight must be at least 1', 'load_balancing_weight');
        return;
      }
      out.push({
        address: sa.address,
        port: sa.port,
        hostname: asString(ep?.hostname),
        weight,
        health,
        locality,
        localityWeight,
        priority,
        metadata: asObj(lbe.metadata),
      });
    });
  });
  return out;
}
