// `/config_dump` in Envoy's shape (envoy.admin.v3.ConfigDump as proto3 JSON with
// proto field names): one entry per component, in Envoy's order — Bootstrap,
// Clusters, Endpoints (only with ?include_eds, as Envoy), Listeners, ScopedRoutes,
// Routes, Secrets — each carrying its '@type'. Also Envoy's ?resource=, ?mask= and
// ?name_regex= selectors, and its redaction of private keys and passwords.
import type {
  ResourceEntry,
  XdsClientStatus,
  XdsShortName,
  XdsTypeStatus,
} from '../agent/xds-status.ts';
import { edsRefOfCluster, rdsRefsOfListener } from '../agent/resource-refs.ts';
import { applyMask, redact } from './dump-filters.ts';
import { AdminError } from './errors.ts';
import type { AdminSources } from './sources.ts';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';
type Json = Record<string, unknown>;

export interface ConfigDumpQuery {
  includeEds?: boolean;
  resource?: string;
  mask?: string[];
  nameRegex?: RegExp;
}

function typeOf(status: XdsClientStatus, short: XdsShortName): XdsTypeStatus | undefined {
  return status.types.find((t) => t.short === short);
}

function nonEmpty(obj: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out;
}

/** Envoy's UpdateFailureState for a resource named in the last NACK. */
function errorState(type: XdsTypeStatus | undefined, name: string): Json | undefined {
  const nack = type?.lastNack;
  if (!nack || !nack.failed.has(name)) return undefined;
  return nonEmpty({
    failed_configuration: nack.failed.get(name),
    last_update_attempt: nack.at.toISOString(),
    details: nack.message,
    version_info: nack.version,
  });
}

/** Names in the last NACK that were never accepted: Envoy lists them with only an error state. */
function rejectedOnly(type: XdsTypeStatus | undefined): string[] {
  if (!type?.lastNack) return [];
  return [...type.lastNack.failed.keys()].filter((n) => !type.resources.has(n)).sort();
}

function sorted(type: XdsTypeStatus | undefined): ResourceEntry[] {
  return type ? [...type.resources.values()].sort((a, b) => a.name.localeCompare(b.name)) : [];
}

function clientStatus(type: XdsTypeStatus | undefined, name: string): string {
  return errorState(type, name) ? 'NACKED' : 'ACKED';
}

function bootstrapDump(sources: AdminSources, status: XdsClientStatus): Json {
  const colon = status.address.lastIndexOf(':');
  const host = status.address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(status.address.slice(colon + 1));
  const ads = { ads: {}, resource_api_version: 'V3' };
  const bootstrap: Json = {
    node: status.node,
    static_resources: {
      clusters: [
        {
          name: 'xds-grpc',
          type: /^[\d.:]+$/.test(host) ? 'STATIC' : 'STRICT_DNS',
          load_assignment: {
            cluster_name: 'xds-grpc',
            endpoints: [
              {
                lb_endpoints: [
                  {
                    endpoint: { address: { socket_address: { address: host, port_value: port } } },
                  },
                ],
              },
            ],
          },
        },
      ],
    },
    dynamic_resources: {
      lds_config: ads,
      cds_config: ads,
      ads_config: {
        api_type: status.mode === 'delta' ? 'DELTA_GRPC' : 'GRPC',
        transport_api_version: 'V3',
        grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }],
        set_node_on_first_message_only: true,
      },
    },
  };
  if (sources.adminAddress) {
    bootstrap.admin = {
      address: {
        socket_address: {
          address: sources.adminAddress.address,
          port_value: sources.adminAddress.port,
        },
      },
    };
  }
  return {
    '@type': `${ADMIN}BootstrapConfigDump`,
    bootstrap,
    last_updated: sources.startedAt.toISOString(),
  };
}

function clustersDump(status: XdsClientStatus): Json {
  const cds = typeOf(status, 'cds');
  const warming = new Set(status.warmingClusters);
  const active: Json[] = [];
  const warm: Json[] = [];
  for (const e of sorted(cds)) {
    const eds = edsRefOfCluster(e.resource)?.name;
    const entry = nonEmpty({
      version_info: e.version,
      cluster: e.resource,
      last_updated: e.lastUpdated.toISOString(),
      error_state: errorState(cds, e.name),
      client_status: clientStatus(cds, e.name),
    });
    (eds !== undefined && warming.has(eds) ? warm : active).push(entry);
  }
  for (const name of rejectedOnly(cds))
    active.push({ error_state: errorState(cds, name), client_status: 'NACKED' });
  return nonEmpty({
    '@type': `${ADMIN}ClustersConfigDump`,
    version_info: cds?.ackedVersion,
    dynamic_active_clusters: active,
    dynamic_warming_clusters: warm,
  });
}

/** Envoy's per-resource dump entry of the EDS/RDS/SDS dumps, the resource under `field`. */
function dynamicConfigs(state: ReturnType<typeof typeOf>, field: string, named = false): Json[] {
  return sorted(state).map((e) =>
    nonEmpty({
      ...(named ? { name: e.name } : {}),
      version_info: e.version,
      [field]: e.resource,
      last_updated: e.lastUpdated.toISOString(),
      error_state: errorState(state, e.name),
      client_status: clientStatus(state, e.name),
    }),
  );
}

function endpointsDump(status: XdsClientStatus): Json {
  return nonEmpty({
    '@type': `${ADMIN}EndpointsConfigDump`,
    dynamic_endpoint_configs: dynamicConfigs(typeOf(status, 'eds'), 'endpoint_config'),
  });
}

function listenersDump(status: XdsClientStatus): Json {
  const lds = typeOf(status, 'lds');
  const warmingRoutes = new Set(status.warmingRoutes);
  const entries: Json[] = sorted(lds).map((e) => {
    const state = {
      version_info: e.version,
      listener: e.resource,
      last_updated: e.lastUpdated.toISOString(),
    };
    const warming = rdsRefsOfListener(e.resource).some((r) => warmingRoutes.has(r.name));
    return nonEmpty({
      name: e.name,
      [warming ? 'warming_state' : 'active_state']: state,
      error_state: errorState(lds, e.name),
      client_status: clientStatus(lds, e.name),
    });
  });
  for (const name of rejectedOnly(lds))
    entries.push({ name, error_state: errorState(lds, name), client_status: 'NACKED' });
  return nonEmpty({
    '@type': `${ADMIN}ListenersConfigDump`,
    version_info: lds?.ackedVersion,
    dynamic_listeners: entries,
  });
}

function routesDump(status: XdsClientStatus): Json {
  return nonEmpty({
    '@type': `${ADMIN}RoutesConfigDump`,
    dynamic_route_configs: dynamicConfigs(typeOf(status, 'rds'), 'route_config'),
  });
}

function secretsDump(status: XdsClientStatus): Json {
  return nonEmpty({
    '@type': `${ADMIN}SecretsConfigDump`,
    dynamic_active_secrets: dynamicConfigs(typeOf(status, 'sds'), 'secret', true),
  });
}

const ENTRY_TYPES: Record<string, string> = {
  dynamic_active_clusters: 'ClustersConfigDump.DynamicCluster',
  dynamic_warming_clusters: 'ClustersConfigDump.DynamicCluster',
  dynamic_endpoint_configs: 'EndpointsConfigDump.DynamicEndpointConfig',
  dynamic_listeners: 'ListenersConfigDump.DynamicListener',
  dynamic_route_configs: 'RoutesConfigDump.DynamicRouteConfig',
  dynamic_active_secrets: 'SecretsConfigDump.DynamicSecret',
};

/** The name Envoy's ?name_regex= matches for one dump entry. */
function entryName(entry: Json): string | undefined {
  if (typeof entry.name === 'string') return entry.name;
  for (const key of ['cluster', 'endpoint_config', 'route_config']) {
    const r = entry[key] as Json | undefined;
    if (r) return String(r.name ?? r.cluster_name ?? '');
  }
  return undefined;
}

export function buildConfigDump(sources: AdminSources, query: ConfigDumpQuery): Json {
  const status = sources.xds.status();
  let dumps: Json[] = [
    bootstrapDump(sources, status),
    clustersDump(status),
    ...(query.includeEds || query.resource === 'dynamic_endpoint_configs'
      ? [endpointsDump(status)]
      : []),
    listenersDump(status),
    { '@type': `${ADMIN}ScopedRoutesConfigDump` },
    routesDump(status),
    secretsDump(status),
  ];
  if (query.nameRegex) {
    const re = query.nameRegex;
    dumps = dumps.map((d) => {
      const out: Json = { ...d };
      for (const key of Object.keys(ENTRY_TYPES)) {
        if (Array.isArray(out[key]))
          out[key] = (out[key] as Json[]).filter((e) => re.test(entryName(e) ?? ''));
      }
      return nonEmpty(out);
    });
  }
  if (query.resource) {
    const entryType = ENTRY_TYPES[query.resource];
    if (!entryType)
      throw new AdminError(
        'PETREL_ADMIN_QUERY',
        404,
        `resource "${query.resource}" is not a repeated field of any config dump`,
      );
    const entries = dumps.flatMap((d) =>
      Array.isArray(d[query.resource!]) ? (d[query.resource!] as Json[]) : [],
    );
    const typed = entries.map((e) => ({ '@type': `${ADMIN}${entryType}`, ...e }));
    return { configs: redact(query.mask ? typed.map((e) => applyMask(e, query.mask!)) : typed) };
  }
  return { configs: redact(query.mask ? dumps.map((d) => applyMask(d, query.mask!)) : dumps) };
}
