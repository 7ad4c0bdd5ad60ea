// `proxy-config endpoints` rows. From a proxy's admin (/clusters?format=json,
// what istioctl reads): each host with its EDS health and outlier state. From
// pilot (its EDS dump): each endpoint pilot sent, whose outlier state pilot
// cannot know ('-').
import { arr, obj, str, type DumpedResource, type Json } from './config-dump.ts';
import { compareText } from './table.ts';

export const ENDPOINT_HEADERS = ['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER'];

function addressText(address: Json): string {
  const socket = obj(address.socket_address);
  if (socket.address !== undefined) {
    const ip = str(socket.address);
    const port = str(socket.port_value) || '0';
    return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
  }
  const pipe = obj(address.pipe);
  if (pipe.path !== undefined) return `unix://${str(pipe.path)}`;
  const internal = obj(address.envoy_internal_address);
  if (internal.server_listener_name !== undefined)
    return `envoy://${str(internal.server_listener_name)}`;
  return '-';
}

/** EDS health as Envoy reports it: UNKNOWN counts as HEALTHY. */
function health(status: unknown): string {
  const s = str(status);
  return !s || s === 'UNKNOWN' ? 'HEALTHY' : s;
}

function byEndpoint(a: string[], b: string[]): number {
  return compareText(a[3]!, b[3]!) || compareText(a[0]!, b[0]!);
}

/** Rows from pilot's ClusterLoadAssignments. */
export function endpointRowsFromEds(assignments: readonly DumpedResource[]): string[][] {
  const rows: string[][] = [];
  for (const { name, resource } of assignments) {
    for (const locality of arr(resource.endpoints)) {
      for (const lb of arr(locality.lb_endpoints)) {
        const address = obj(obj(lb.endpoint).address);
        rows.push([addressText(address), health(lb.health_status), '-', name]);
      }
    }
  }
  return rows.sort(byEndpoint);
}

/** Rows from a proxy admin's envoy.admin.v3.Clusters. */
export function endpointRowsFromAdmin(clusters: unknown): string[][] {
  const rows: string[][] = [];
  for (const cluster of arr(obj(clusters).cluster_statuses)) {
    for (const host of arr(cluster.host_statuses)) {
      const hs = obj(host.health_status);
      rows.push([
        addressText(obj(host.address)),
        health(hs.eds_health_status),
        hs.failed_outlier_check === true ? 'FAILED' : 'OK',
        str(cluster.name),
      ]);
    }
  }
  return rows.sort(byEndpoint);
}
