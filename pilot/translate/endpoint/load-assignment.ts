// ClusterLoadAssignment (EDS) for an outbound cluster name: the endpoints of the
// service port, narrowed to the subset's labels. A name that matches nothing gets an
// empty assignment, as Istio sends, so a client waiting for it does not wait forever.
import type { EnvoyResource } from '../types.ts';
import { parseClusterName } from '../common/names.ts';
import { CLUSTER_LOAD_ASSIGNMENT } from '../common/type-urls.ts';
import type { BuildContext } from '../cluster/context.ts';
import { localityLbEndpoints } from './locality.ts';

export function loadAssignment(ctx: BuildContext, clusterName: string): EnvoyResource {
  const empty: EnvoyResource = {
    '@type': CLUSTER_LOAD_ASSIGNMENT,
    cluster_name: clusterName,
    endpoints: [],
  };
  const key = parseClusterName(clusterName);
  if (!key || key.direction !== 'outbound') return empty;
  const service = ctx.push.service(key.host, ctx.proxy.namespace);
  if (!service) return empty;
  let labels: Record<string, string> | undefined;
  if (key.subset) {
    const subset = ctx.push
      .destinationRule(ctx.proxy.namespace, key.host)
      ?.spec.subsets?.find((s) => s.name === key.subset);
    if (!subset) return empty;
    labels = subset.labels ?? {};
  }
  const endpoints = ctx.push.endpoints(key.host, key.port, labels);
  return { ...empty, endpoints: localityLbEndpoints(endpoints, ctx.proxy.clusterId) };
}
