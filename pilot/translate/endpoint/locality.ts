// Model endpoints → Envoy LocalityLbEndpoints, grouped by locality in a stable order,
// with each endpoint's health, weight and the metadata Istio attaches (the tlsMode
// label auto-mTLS transport_socket_matches select on, and the workload identity).
import type { Endpoint } from '../../model/types.ts';
import { socketAddress, u32 } from '../common/envoy.ts';

function localityKey(e: Endpoint): string {
  return `${e.locality.region}/${e.locality.zone}/${e.locality.subzone}`;
}

function healthStatus(e: Endpoint): string {
  if (e.draining) return 'DRAINING';
  return e.healthy ? 'HEALTHY' : 'UNHEALTHY';
}

/**
 * The canonical service and revision of a workload from its labels, with the
 * fallbacks Istio's kubelabels.CanonicalService applies to uninjected workloads.
 */
function canonicalService(
  labels: Readonly<Record<string, string>>,
  workloadName: string,
): { name: string; revision: string } {
  return {
    name:
      labels['service.istio.io/canonical-name'] ||
      labels['app.kubernetes.io/name'] ||
      labels.app ||
      workloadName,
    revision:
      labels['service.istio.io/canonical-revision'] ||
      labels['app.kubernetes.io/version'] ||
      labels.version ||
      'latest',
  };
}

/**
 * Istio's endpoint telemetry metadata `istio.workload`:
 * `workload;namespace;canonical service;canonical revision;cluster id`, the
 * revision left empty when it is the default "latest" (pilot util.AppendLbEndpointMetadata).
 * A client proxy labels its metrics with it when the server sends no peer metadata.
 */
function workloadMetadata(e: Endpoint, workloadName: string, clusterId: string): string {
  const c = canonicalService(e.labels, workloadName);
  const revision = c.revision === 'latest' ? '' : c.revision;
  return `${workloadName};${e.namespace};${c.name};${revision};${clusterId}`;
}

function lbEndpoint(e: Endpoint, clusterId: string | undefined): Record<string, unknown> {
  const istio: Record<string, unknown> = {};
  if (e.workloadName) istio.workload = workloadMetadata(e, e.workloadName, clusterId ?? '');
  const metadata: Record<string, unknown> = {
    'envoy.transport_socket_match': { tlsMode: e.tlsMode },
  };
  if (Object.keys(istio).length > 0) metadata.istio = istio;
  return {
    endpoint: { address: socketAddress(e.address, e.port) },
    health_status: healthStatus(e),
    load_balancing_weight: u32(e.weight && e.weight > 0 ? e.weight : 1),
    metadata: { filter_metadata: metadata },
  };
}

function locality(e: Endpoint): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (e.locality.region) out.region = e.locality.region;
  if (e.locality.zone) out.zone = e.locality.zone;
  if (e.locality.subzone) out.sub_zone = e.locality.subzone;
  return out;
}

/**
 * One LocalityLbEndpoints per locality, localities and endpoints sorted so the output
 * does not depend on discovery order. Every locality carries a weight (the sum of its
 * endpoints'): gRPC clients ignore localities without one.
 */
export function localityLbEndpoints(
  endpoints: readonly Endpoint[],
  clusterId?: string,
): Record<string, unknown>[] {
  const groups = new Map<string, Endpoint[]>();
  for (const e of endpoints) {
    const key = localityKey(e);
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(e);
  }
  const out: Record<string, unknown>[] = [];
  for (const key of [...groups.keys()].sort()) {
    const list = groups.get(key)!;
    // Dedupe by address:port (two slices may list one pod); gRPC rejects duplicate addresses.
    const seen = new Set<string>();
    const unique = list
      .slice()
      .sort((a, b) => (a.address === b.address ? a.port - b.port : a.address < b.address ? -1 : 1))
      .filter((e) => {
        const id = `${e.address}:${e.port}`;
        if (seen.has(id)) return false;
        seen.add(id);
        return true;
      });
    const weight = unique.reduce((sum, e) => sum + (e.weight && e.weight > 0 ? e.weight : 1), 0);
    out.push({
      locality: locality(unique[0]!),
      lb_endpoints: unique.map((e) => lbEndpoint(e, clusterId)),
      load_balancing_weight: u32(weight),
    });
  }
  return out;
}
