// What one xDS resource makes the proxy subscribe to next, read the way Envoy reads
// it: an EDS cluster needs its ClusterLoadAssignment (eds_cluster_config.service_name,
// else the cluster name), an HTTP connection manager with `rds` needs its
// RouteConfiguration, a TLS context with ADS-sourced SDS configs needs its Secrets.
// Each reference carries the config source's initial_fetch_timeout, which bounds how
// long the parent resource waits ("warms") for it.
import { parseDurationMs } from '../../api/istio/duration.ts';
import type { EnvoyResource } from '../types.ts';

const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

export interface ResourceRef {
  name: string;
  /** The config source's initial_fetch_timeout in ms; undefined when it does not say. 0 waits forever. */
  initialFetchTimeoutMs?: number;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function timeoutOf(configSource: unknown): number | undefined {
  if (!isObject(configSource) || typeof configSource.initial_fetch_timeout !== 'string')
    return undefined;
  return parseDurationMs(configSource.initial_fetch_timeout);
}

/** True when the config source points back at the ADS stream (`ads: {}` or `self: {}`). */
function isAdsSource(configSource: unknown): boolean {
  return isObject(configSource) && (isObject(configSource.ads) || isObject(configSource.self));
}

/** Visits every object inside `value`, depth first. */
function walk(value: unknown, visit: (obj: Json, key: string) => void, key = ''): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit, key);
  } else if (isObject(value)) {
    visit(value, key);
    for (const [k, v] of Object.entries(value)) walk(v, visit, k);
  }
}

/** The EDS resource name of a cluster, or undefined for clusters that do not use EDS. */
export function edsRefOfCluster(cluster: EnvoyResource): ResourceRef | undefined {
  if (cluster.type !== 'EDS') return undefined;
  const edsConfig = isObject(cluster.eds_cluster_config) ? cluster.eds_cluster_config : {};
  const serviceName =
    typeof edsConfig.service_name === 'string' && edsConfig.service_name
      ? edsConfig.service_name
      : undefined;
  const name = serviceName ?? (typeof cluster.name === 'string' ? cluster.name : '');
  return name ? { name, initialFetchTimeoutMs: timeoutOf(edsConfig.eds_config) } : undefined;
}

/** Route configuration names referenced by the HTTP connection managers of a listener. */
export function rdsRefsOfListener(listener: EnvoyResource): ResourceRef[] {
  const refs: ResourceRef[] = [];
  walk(listener, (obj) => {
    if (obj['@type'] !== HCM_TYPE || !isObject(obj.rds)) return;
    const name = obj.rds.route_config_name;
    if (typeof name === 'string' && name)
      refs.push({ name, initialFetchTimeoutMs: timeoutOf(obj.rds.config_source) });
  });
  return refs;
}

/** Secret names requested over ADS by the TLS contexts anywhere inside a cluster or listener. */
export function sdsRefsOf(resource: EnvoyResource): ResourceRef[] {
  const refs: ResourceRef[] = [];
  const add = (config: unknown) => {
    if (!isObject(config) || typeof config.name !== 'string' || !config.name) return;
    if (!isAdsSource(config.sds_config)) return;
    refs.push({ name: config.name, initialFetchTimeoutMs: timeoutOf(config.sds_config) });
  };
  walk(resource, (obj) => {
    if (Array.isArray(obj.tls_certificate_sds_secret_configs))
      obj.tls_certificate_sds_secret_configs.forEach(add);
    add(obj.validation_context_sds_secret_config);
  });
  return refs;
}

/** Unique by name, keeping the first reference's timeout. */
export function uniqueRefs(refs: Iterable<ResourceRef>): Map<string, ResourceRef> {
  const out = new Map<string, ResourceRef>();
  for (const ref of refs) if (!out.has(ref.name)) out.set(ref.name, ref);
  return out;
}
