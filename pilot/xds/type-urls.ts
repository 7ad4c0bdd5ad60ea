// The xDS type URLs the server treats specially, and Istio's short metric names
// for them (istio pkg/model GetMetricType: lds, cds, rds, eds, sds, ecds, …).

import { TypeUrl } from '../../api/envoy/registry.ts';

export const LISTENER_TYPE = TypeUrl.Listener;
export const CLUSTER_TYPE = TypeUrl.Cluster;
export const ROUTE_TYPE = TypeUrl.RouteConfiguration;
export const ENDPOINT_TYPE = TypeUrl.ClusterLoadAssignment;
export const SECRET_TYPE = TypeUrl.Secret;
export const EXTENSION_CONFIG_TYPE = TypeUrl.TypedExtensionConfig;

const SHORT: Record<string, string> = {
  [LISTENER_TYPE]: 'lds',
  [CLUSTER_TYPE]: 'cds',
  [ROUTE_TYPE]: 'rds',
  [ENDPOINT_TYPE]: 'eds',
  [SECRET_TYPE]: 'sds',
  [EXTENSION_CONFIG_TYPE]: 'ecds',
};

/** Istio's metric label for a type URL; unknown types keep their full URL, as Istio does. */
export function metricType(typeUrl: string): string {
  return SHORT[typeUrl] ?? typeUrl;
}

/**
 * Types Envoy subscribes to as wildcard in state-of-the-world: an empty
 * resource_names on the first request means "everything for this proxy".
 */
export const DEFAULT_WILDCARD_TYPES: readonly string[] = [LISTENER_TYPE, CLUSTER_TYPE];

/**
 * In SotW, Listener and Cluster responses must carry every resource the proxy
 * needs (absence means deletion); other types may carry only what changed
 * (xds_protocol#grouping-resources-into-responses).
 */
export const SOTW_COMPLETE_TYPES: ReadonlySet<string> = new Set([LISTENER_TYPE, CLUSTER_TYPE]);

/** Types an incremental (full=false) push regenerates, as Istio's EDS-only pushes. */
export const DEFAULT_INCREMENTAL_TYPES: readonly string[] = [ENDPOINT_TYPE];

/**
 * The order a push walks a proxy's types in: clusters before endpoints before
 * listeners before routes, the make-before-break order the xDS protocol
 * recommends (xds_protocol#eventual-consistency-considerations). Others follow.
 */
const PUSH_ORDER = [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE];

export function pushOrder(a: string, b: string): number {
  const ia = PUSH_ORDER.indexOf(a);
  const ib = PUSH_ORDER.indexOf(b);
  return (ia < 0 ? PUSH_ORDER.length : ia) - (ib < 0 ? PUSH_ORDER.length : ib);
}
