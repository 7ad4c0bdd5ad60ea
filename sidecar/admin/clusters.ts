// `/clusters` as Envoy prints it: per cluster its circuit-breaker settings and
// flags, then per host `cluster::ip:port::stat::value` lines (text), or the
// envoy.admin.v3.Clusters message (?format=json, what `istioctl proxy-config
// endpoints` reads). Hosts come from the cluster's EDS assignment (or its inline
// load_assignment); stats and outlier flags from the data path when it offers them.
import type { EnvoyResource } from '../types.ts';
import { edsRefOfCluster } from '../agent/resource-refs.ts';
import type { XdsClientStatus } from '../agent/xds-status.ts';
import type { DataPlaneAdminProvider } from './sources.ts';

type Json = Record<string, unknown>;

const HOST_COUNTERS = [
  'cx_connect_fail',
  'cx_total',
  'rq_error',
  'rq_success',
  'rq_timeout',
  'rq_total',
];
const HOST_GAUGES = ['cx_active', 'rq_active'];
const BREAKER_FIELDS = [
  'max_connections',
  'max_pending_requests',
  'max_requests',
  'max_retries',
] as const;
const BREAKER_DEFAULTS: Record<(typeof BREAKER_FIELDS)[number], number> = {
  max_connections: 1024,
  max_pending_requests: 1024,
  max_requests: 1024,
  max_retries: 3,
};

interface Host {
  address: string;
  ip: string;
  port: number;
  hostname: string;
  weight: number;
  priority: number;
  locality: { region: string; zone: string; sub_zone: string };
  edsHealth: string;
}

function obj(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : {};
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? (value as Json[]) : [];
}

function wrapped(value: unknown, fallback: number): number {
  const v = obj(value).value;
  return typeof v === 'number' ? v : typeof v === 'string' && v !== '' ? Number(v) : fallback;
}

/** The hosts of a ClusterLoadAssignment in Petrel's object form. */
export function hostsOf(assignment: Json | undefined): Host[] {
  const hosts: Host[] = [];
  for (const group of list(assignment?.endpoints)) {
    const loc = obj(group.locality);
    for (const lb of list(group.lb_endpoints)) {
      const endpoint = obj(lb.endpoint);
      const socket = obj(obj(endpoint.address).socket_address);
      if (typeof socket.address !== 'string') continue;
      const port = Number(socket.port_value ?? 0);
      hosts.push({
        address: socket.address.includes(':')
          ? `[${socket.address}]:${port}`
          : `${socket.address}:${port}`,
        ip: socket.address,
        port,
        hostname: typeof endpoint.hostname === 'string' ? endpoint.hostname : '',
        weight: wrapped(lb.load_balancing_weight, 1),
        priority: Number(group.priority ?? 0),
        locality: {
          region: String(loc.region ?? ''),
          zone: String(loc.zone ?? ''),
          sub_zone: String(loc.sub_zone ?? ''),
        },
        edsHealth: typeof lb.health_status === 'string' ? lb.health_status : 'UNKNOWN',
      });
    }
  }
  return hosts;
}

function breakers(
  cluster: EnvoyResource,
): Array<{ priority: 'DEFAULT' | 'HIGH'; values: Record<string, number> }> {
  const thresholds = list(obj(cluster.circuit_breakers).thresholds);
  return (['DEFAULT', 'HIGH'] as const).map((priority) => {
    const t = thresholds.find((x) => (x.priority ?? 'DEFAULT') === priority) ?? {};
    const values: Record<string, number> = {};
    for (const f of BREAKER_FIELDS) values[f] = wrapped(t[f], BREAKER_DEFAULTS[f]);
    return { priority, values };
  });
}

function edsFlags(health: string): string[] {
  if (health === 'UNHEALTHY' || health === 'DRAINING' || health === 'TIMEOUT')
    return ['failed_eds_health'];
  if (health === 'DEGRADED') return ['degraded_eds_health'];
  return [];
}

interface ClusterView {
  name: string;
  cluster: EnvoyResource;
  edsServiceName?: string;
  hosts: Host[];
}

function clusterViews(status: XdsClientStatus): ClusterView[] {
  const cds = status.types.find((t) => t.short === 'cds');
  const eds = status.types.find((t) => t.short === 'eds');
  const views: ClusterView[] = [];
  for (const entry of [...(cds?.resources.values() ?? [])].sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const ref = edsRefOfCluster(entry.resource);
    const assignment = ref
      ? eds?.resources.get(ref.name)?.resource
      : obj(entry.resource.load_assignment);
    views.push({
      name: entry.name,
      cluster: entry.resource,
      edsServiceName: ref?.name,
      hosts: hostsOf(assignment),
    });
  }
  return views;
}

export function clustersText(status: XdsClientStatus, provider?: DataPlaneAdminProvider): string {
  const cds = status.types.find((t) => t.short === 'cds');
  const lines = [`version_info::${cds?.ackedVersion || 'static'}`];
  for (const view of clusterViews(status)) {
    const n = view.name;
    lines.push(`${n}::observability_name::${String(view.cluster.alt_stat_name || n)}`);
    for (const { priority, values } of breakers(view.cluster)) {
      const p = priority === 'DEFAULT' ? 'default_priority' : 'high_priority';
      for (const f of BREAKER_FIELDS) lines.push(`${n}::${p}::${f}::${values[f]}`);
    }
    lines.push(`${n}::added_via_api::true`);
    if (view.edsServiceName && view.edsServiceName !== n)
      lines.push(`${n}::eds_service_name::${view.edsServiceName}`);
    for (const host of view.hosts) {
      const runtime = provider?.hostRuntime?.(n, host.address);
      const h = `${n}::${host.address}`;
      for (const s of [...HOST_COUNTERS, ...HOST_GAUGES])
        lines.push(`${h}::${s}::${runtime?.stats?.[s] ?? 0}`);
      const flags = [...(runtime?.healthFlags ?? []), ...edsFlags(host.edsHealth)];
      lines.push(`${h}::hostname::${host.hostname}`);
      lines.push(
        `${h}::health_flags::${flags.length ? flags.map((f) => `/${f}`).join('') : 'healthy'}`,
      );
      lines.push(`${h}::weight::${host.weight}`);
      lines.push(`${h}::region::${host.locality.region}`);
      lines.push(`${h}::zone::${host.locality.zone}`);
      lines.push(`${h}::sub_zone::${host.locality.sub_zone}`);
      lines.push(`${h}::canary::false`);
      lines.push(`${h}::priority::${host.priority}`);
      lines.push(`${h}::success_rate::${runtime?.successRate ?? -1}`);
      lines.push(`${h}::local_origin_success_rate::-1`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** envoy.admin.v3.Clusters as proto3 JSON (proto field names, defaults left out). */
export function clustersJson(status: XdsClientStatus, provider?: DataPlaneAdminProvider): Json {
  const cluster_statuses = clusterViews(status).map((view) => {
    const host_statuses = view.hosts.map((host) => {
      const runtime = provider?.hostRuntime?.(view.name, host.address);
      const stats = [
        ...HOST_COUNTERS.map((name) => ({ name, value: String(runtime?.stats?.[name] ?? 0) })),
        ...HOST_GAUGES.map((name) => ({
          name,
          type: 'GAUGE',
          value: String(runtime?.stats?.[name] ?? 0),
        })),
      ];
      const health_status: Json = { eds_health_status: host.edsHealth };
      for (const flag of runtime?.healthFlags ?? []) health_status[flag] = true;
      const out: Json = {
        address: { socket_address: { address: host.ip, port_value: host.port } },
        stats,
        health_status,
        weight: host.weight,
        locality: Object.fromEntries(Object.entries(host.locality).filter(([, v]) => v)),
      };
      if (host.hostname) out.hostname = host.hostname;
      if (host.priority) out.priority = host.priority;
      if (runtime?.successRate !== undefined && runtime.successRate >= 0)
        out.success_rate = { value: runtime.successRate };
      return out;
    });
    const thresholds = breakers(view.cluster).map(({ priority, values }) => ({
      ...(priority === 'HIGH' ? { priority } : {}),
      ...values,
    }));
    const out: Json = {
      name: view.name,
      added_via_api: true,
      circuit_breakers: { thresholds },
      observability_name: String(view.cluster.alt_stat_name || view.name),
    };
    if (host_statuses.length) out.host_statuses = host_statuses;
    if (view.edsServiceName && view.edsServiceName !== view.name)
      out.eds_service_name = view.edsServiceName;
    return out;
  });
  return { cluster_statuses };
}
