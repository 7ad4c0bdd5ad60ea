// What an endpoint-only change touches, judged by comparing the PushContext
// before it with the one after (Istio's incremental EDS push). Only the
// ClusterLoadAssignments of the changed hosts need regenerating, unless the
// endpoints reach into other resources too; then the change needs a full
// push, as Istio's EndpointIndex asks for one when service accounts change:
// - cluster SAN checks list the service's workload identities (cluster/outbound.ts);
// - DNS clusters carry their endpoints inline, not over EDS (cluster/discovery.ts);
// - the service itself differs (the change was not about endpoints only).
// A proxy whose own address or pod joined or left a service's endpoints gets a
// full push of its own: its inbound side is built from them (servicesOfProxy).
import { isDeepStrictEqual } from 'node:util';
import type { Proxy } from '../../model/proxy.ts';
import type { Endpoint, PushContext } from '../../model/types.ts';
import { discoveryType } from '../cluster/discovery.ts';
import { parseDnsSrvSubsetKey } from '../common/names.ts';
import { CLUSTER_LOAD_ASSIGNMENT } from '../common/type-urls.ts';

/** The scope of an incremental push (structurally pilot/xds's IncrementalScope). */
export interface EndpointPushScope {
  /** The hosts whose ClusterLoadAssignments are regenerated. */
  readonly hosts: ReadonlySet<string>;
  affects(typeUrl: string, name: string): boolean;
  needsFull(proxy: Proxy): boolean;
  readonly grouping: { typeUrl: string; keyOf(name: string): string; keys: ReadonlySet<string> };
}

/**
 * The scope of a change to the endpoints of `changed` services, or undefined
 * when it needs a full push. `before` must be the context the proxies were
 * last pushed from.
 */
export function endpointPushScope(
  before: PushContext,
  after: PushContext,
  changed: Iterable<{ hostname: string; namespace: string }>,
): EndpointPushScope | undefined {
  const hosts = new Set<string>();
  const addresses = new Set<string>();
  const pods = new Set<string>();
  for (const { hostname, namespace } of changed) {
    const old = before.service(hostname, namespace);
    const now = after.service(hostname, namespace);
    // Missing on a side (added, removed, or hidden from its own namespace by
    // exportTo, where generators may still find it), changed, or not EDS: full.
    if (!old || !now || !isDeepStrictEqual(old, now) || discoveryType(now) !== 'EDS')
      return undefined;
    for (const port of now.ports) {
      const was = before.endpoints(hostname, port.port);
      const is = after.endpoints(hostname, port.port);
      if (!isDeepStrictEqual(identities(was), identities(is))) return undefined;
      for (const e of joinedOrLeft(was, is)) {
        addresses.add(e.address);
        if (e.podName) pods.add(`${e.namespace}/${e.podName}`);
      }
    }
    hosts.add(hostname);
  }
  return {
    hosts,
    // Scanned only where `grouping` cannot serve (wildcard EDS subscriptions).
    affects: (typeUrl, name) => typeUrl !== CLUSTER_LOAD_ASSIGNMENT || hosts.has(hostOf(name)),
    grouping: { typeUrl: CLUSTER_LOAD_ASSIGNMENT, keyOf: hostOf, keys: hosts },
    needsFull: (proxy) =>
      proxy.ips.some((ip) => addresses.has(ip)) ||
      (proxy.podName !== undefined && pods.has(`${proxy.namespace}/${proxy.podName}`)),
  };
}

/**
 * The host of an outbound cluster name: `outbound|port|subset|host`, or an
 * AUTO_PASSTHROUGH gateway's SNI-DNAT `outbound_.port_.subset_.host`; '' for other names.
 */
function hostOf(clusterName: string): string {
  if (clusterName.startsWith('outbound|'))
    return clusterName.slice(clusterName.lastIndexOf('|') + 1);
  return parseDnsSrvSubsetKey(clusterName)?.host ?? '';
}

/** The workload identities cluster SAN checks are built from. */
function identities(endpoints: readonly Endpoint[]): string[] {
  const out = new Set<string>();
  for (const e of endpoints) if (e.serviceAccount) out.add(`${e.namespace}/${e.serviceAccount}`);
  return [...out].sort();
}

/** Endpoints present on one side only, or changed in any field. */
function joinedOrLeft(was: readonly Endpoint[], is: readonly Endpoint[]): Endpoint[] {
  if (was === is) return [];
  const key = (e: Endpoint) => JSON.stringify(e);
  const before = new Map(was.map((e) => [key(e), e]));
  const out: Endpoint[] = [];
  for (const e of is) if (!before.delete(key(e))) out.push(e);
  out.push(...before.values());
  return out;
}
