// Reading resources out of a config dump. Pilot's /debug/config_dump and a
// proxy's admin /config_dump share Envoy's layout (envoy.admin.v3.ConfigDump:
// `configs`, one entry per *ConfigDump type), so one reader serves both.
import { OperatorError } from './errors.ts';

export type Json = Record<string, unknown>;

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';

export function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

export function arr(v: unknown): Json[] {
  return Array.isArray(v) ? (v as Json[]) : [];
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** One resource as the dump holds it, with whether it is in use or still warming. */
export interface DumpedResource {
  name: string;
  resource: Json;
  status: 'ACTIVE' | 'WARMING';
}

function section(dump: unknown, type: string): Json | undefined {
  const configs = obj(dump).configs;
  if (!Array.isArray(configs))
    throw new OperatorError('PETREL_OPERATOR_RESPONSE', 'config dump has no `configs` list');
  return arr(configs).find((c) => c['@type'] === `${ADMIN}${type}`);
}

function collect(
  entries: Json[],
  field: string,
  status: DumpedResource['status'],
  nameOf?: (e: Json) => string,
): DumpedResource[] {
  const out: DumpedResource[] = [];
  for (const e of entries) {
    const resource = obj(e[field]);
    // A resource that was only ever rejected has an error_state and nothing to show.
    if (Object.keys(resource).length === 0) continue;
    out.push({ name: nameOf?.(e) ?? str(resource.name), resource, status });
  }
  return out;
}

export function clustersOf(dump: unknown): DumpedResource[] {
  const s = obj(section(dump, 'ClustersConfigDump'));
  return [
    ...collect(arr(s.static_clusters), 'cluster', 'ACTIVE'),
    ...collect(arr(s.dynamic_active_clusters), 'cluster', 'ACTIVE'),
    ...collect(arr(s.dynamic_warming_clusters), 'cluster', 'WARMING'),
  ];
}

export function listenersOf(dump: unknown): DumpedResource[] {
  const s = obj(section(dump, 'ListenersConfigDump'));
  const dynamic = arr(s.dynamic_listeners);
  return [
    ...collect(arr(s.static_listeners), 'listener', 'ACTIVE'),
    ...collect(
      dynamic.map((l) => obj(l.active_state)),
      'listener',
      'ACTIVE',
    ),
    ...collect(
      dynamic.map((l) => obj(l.warming_state)),
      'listener',
      'WARMING',
    ),
  ];
}

export function routesOf(dump: unknown): DumpedResource[] {
  const s = obj(section(dump, 'RoutesConfigDump'));
  return [
    ...collect(arr(s.static_route_configs), 'route_config', 'ACTIVE'),
    ...collect(arr(s.dynamic_route_configs), 'route_config', 'ACTIVE'),
  ];
}

export function endpointsOf(dump: unknown): DumpedResource[] {
  const s = obj(section(dump, 'EndpointsConfigDump'));
  const byCluster = (e: Json) => str(obj(e.endpoint_config).cluster_name);
  return [
    ...collect(arr(s.static_endpoint_configs), 'endpoint_config', 'ACTIVE', byCluster),
    ...collect(arr(s.dynamic_endpoint_configs), 'endpoint_config', 'ACTIVE', byCluster),
  ];
}

export function secretsOf(dump: unknown): DumpedResource[] {
  const s = obj(section(dump, 'SecretsConfigDump'));
  const named = (e: Json) => str(e.name) || str(obj(e.secret).name);
  return [
    ...collect(arr(s.static_secrets), 'secret', 'ACTIVE', named),
    ...collect(arr(s.dynamic_active_secrets), 'secret', 'ACTIVE', named),
    ...collect(arr(s.dynamic_warming_secrets), 'secret', 'WARMING', named),
  ];
}

/** `/apis/networking.istio.io/v1/namespaces/default/virtual-service/reviews` → `reviews.default` (istioctl's rendering). */
export function renderConfigPath(path: unknown): string {
  const text = str(path);
  if (!text) return '';
  const pieces = text.split('/');
  if (pieces.length !== 8 || pieces[1] !== 'apis' || pieces[4] !== 'namespaces') return '<unknown>';
  return `${pieces[7]}.${pieces[5]}`;
}

/** The `istio` filter metadata of a cluster or route. */
export function istioMetadata(resource: Json): Json {
  return obj(obj(obj(resource.metadata).filter_metadata).istio);
}
