// `proxy-config clusters` rows, as istioctl: Istio cluster names
// `direction|port|subset|fqdn` split into columns, Envoy's discovery type, and
// the DestinationRule pilot recorded in the cluster's `istio` metadata.
import { istioMetadata, obj, renderConfigPath, str, type DumpedResource } from './config-dump.ts';
import { compareText } from './table.ts';

export const CLUSTER_HEADERS = [
  'SERVICE FQDN',
  'PORT',
  'SUBSET',
  'DIRECTION',
  'TYPE',
  'DESTINATION RULE',
];

interface ClusterRow {
  fqdn: string;
  port: string;
  subset: string;
  direction: string;
  type: string;
  rule: string;
}

function rowOf(name: string, cluster: Record<string, unknown>): ClusterRow {
  const parts = name.split('|');
  const [direction, port, subset, fqdn] =
    parts.length === 4 ? (parts as [string, string, string, string]) : ['-', '-', '-', name];
  // A custom cluster type (e.g. envoy.clusters.aggregate) names itself; Envoy's default is STATIC.
  const type = str(obj(cluster.cluster_type).name) || str(cluster.type) || 'STATIC';
  return {
    fqdn,
    port: port || '-',
    subset: subset || '-',
    direction: direction || '-',
    type,
    rule: renderConfigPath(istioMetadata(cluster).config),
  };
}

export function clusterRows(clusters: readonly DumpedResource[]): string[][] {
  return clusters
    .map((c) => rowOf(c.name, c.resource))
    .sort(
      (a, b) =>
        compareText(a.fqdn, b.fqdn) ||
        (Number(a.port) || 0) - (Number(b.port) || 0) ||
        compareText(a.subset, b.subset) ||
        compareText(a.direction, b.direction),
    )
    .map((r) => [r.fqdn, r.port, r.subset, r.direction, r.type, r.rule]);
}
