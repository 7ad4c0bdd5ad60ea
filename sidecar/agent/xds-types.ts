// The five xDS types the agent subscribes to, in Envoy's warming order, and how
// each names its resources.
import { TypeUrl } from '../../api/envoy/registry.ts';
import type { EnvoyResource } from '../types.ts';
import type { XdsShortName } from './xds-status.ts';

export interface XdsTypeInfo {
  typeUrl: string;
  short: XdsShortName;
  /**
   * Listener and Cluster are subscribed as wildcard, and in state-of-the-world every
   * response carries the whole set (a name left out is deleted). The others are
   * requested by name, and a SotW response may carry only the changed ones
   * (xds_protocol#grouping-resources-into-responses).
   */
  wildcard: boolean;
}

export const XDS_TYPES: readonly XdsTypeInfo[] = [
  { typeUrl: TypeUrl.Cluster, short: 'cds', wildcard: true },
  { typeUrl: TypeUrl.ClusterLoadAssignment, short: 'eds', wildcard: false },
  { typeUrl: TypeUrl.Listener, short: 'lds', wildcard: true },
  { typeUrl: TypeUrl.RouteConfiguration, short: 'rds', wildcard: false },
  { typeUrl: TypeUrl.Secret, short: 'sds', wildcard: false },
];

export const CDS = TypeUrl.Cluster;
export const EDS = TypeUrl.ClusterLoadAssignment;
export const LDS = TypeUrl.Listener;
export const RDS = TypeUrl.RouteConfiguration;
export const SDS = TypeUrl.Secret;

/** The wrapper a SotW server may put around each resource (name, version, ttl). */
export const RESOURCE_WRAPPER_TYPE = 'type.googleapis.com/envoy.service.discovery.v3.Resource';

/** The name a resource goes by: `cluster_name` for ClusterLoadAssignment, `name` otherwise. */
export function resourceNameOf(typeUrl: string, resource: EnvoyResource): string {
  const value = typeUrl === EDS ? resource.cluster_name : resource.name;
  return typeof value === 'string' ? value : '';
}
