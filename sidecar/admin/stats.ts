// The proxy's own stats under Envoy's names where Envoy has one
// (cluster_manager.cds.update_success, listener_manager.lds.update_rejected,
// control_plane.connected_state, server.state, …) — pilot-agent and dashboards read
// these — plus whatever the data path reports. Rendered as `/stats` text
// (`name: value`, sorted), `?format=json`, and Prometheus text with Envoy's
// `envoy_` prefix for `/stats/prometheus` until telemetry supplies its own.
import type { XdsClientStatus, XdsShortName } from '../agent/xds-status.ts';
import type { ServerState, Stat } from './sources.ts';

const PREFIX: Record<XdsShortName, string> = {
  cds: 'cluster_manager.cds',
  lds: 'listener_manager.lds',
  // Envoy counts these per cluster / route config / secret; Petrel counts per type.
  eds: 'petrel.xds.eds',
  rds: 'petrel.xds.rds',
  sds: 'petrel.xds.sds',
};

/** Envoy's numeric server.state: LIVE 0, DRAINING 1, PRE_INITIALIZING 2, INITIALIZING 3. */
const STATE_NUMBER: Record<ServerState, number> = {
  LIVE: 0,
  DRAINING: 1,
  PRE_INITIALIZING: 2,
  INITIALIZING: 3,
};

export function agentStats(
  status: XdsClientStatus,
  state: ServerState,
  uptimeSeconds: number,
): Stat[] {
  const stats: Stat[] = [
    { name: 'control_plane.connected_state', value: status.connected ? 1 : 0, type: 'gauge' },
    { name: 'server.state', value: STATE_NUMBER[state], type: 'gauge' },
    { name: 'server.live', value: state === 'LIVE' ? 1 : 0, type: 'gauge' },
    { name: 'server.uptime', value: Math.floor(uptimeSeconds), type: 'gauge' },
  ];
  for (const t of status.types) {
    const p = PREFIX[t.short];
    stats.push(
      { name: `${p}.update_attempt`, value: t.updates.attempt, type: 'counter' },
      { name: `${p}.update_success`, value: t.updates.success, type: 'counter' },
      { name: `${p}.update_rejected`, value: t.updates.rejected, type: 'counter' },
    );
  }
  const count = (short: XdsShortName) =>
    status.types.find((t) => t.short === short)?.resources.size ?? 0;
  const warmingClusters = status.warmingClusters.length;
  stats.push(
    {
      name: 'cluster_manager.active_clusters',
      value: count('cds') - warmingClusters,
      type: 'gauge',
    },
    { name: 'cluster_manager.warming_clusters', value: warmingClusters, type: 'gauge' },
    { name: 'listener_manager.total_listeners_active', value: count('lds'), type: 'gauge' },
  );
  return stats;
}

function sortedUnique(stats: Iterable<Stat>, filter?: RegExp): Stat[] {
  const byName = new Map<string, Stat>();
  for (const s of stats) if (!filter || filter.test(s.name)) byName.set(s.name, s);
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function statsText(stats: Iterable<Stat>, filter?: RegExp): string {
  return sortedUnique(stats, filter)
    .map((s) => `${s.name}: ${s.value}\n`)
    .join('');
}

export function statsJson(
  stats: Iterable<Stat>,
  filter?: RegExp,
): { stats: Array<{ name: string; value: number }> } {
  return { stats: sortedUnique(stats, filter).map((s) => ({ name: s.name, value: s.value })) };
}

export function statsPrometheus(stats: Iterable<Stat>): string {
  let out = '';
  for (const s of sortedUnique(stats)) {
    const name = `envoy_${s.name.replace(/[^a-zA-Z0-9_]/g, '_')}`;
    out += `# TYPE ${name} ${s.type}\n${name}{} ${s.value}\n`;
  }
  return out;
}
