// ClusterLoadAssignment (EDS) for an outbound cluster name: the endpoints of the
// service port, narrowed to the subset's labels. A name that matches nothing gets an
// empty assignment, as Istio sends, so a client waiting for it does not wait forever.
import type { EnvoyResource } from '../types.ts';
import { parseClusterName } from '../common/names.ts';
import { identityKey, memoPerPush } from '../common/push-memo.ts';
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
  // Shared per push by every proxy that resolves the same service and
  // DestinationRule from its namespace and has the same cluster id (locality
  // priorities): the same object, so it is encoded once per push.
  const rule = key.subset ? ctx.push.destinationRule(ctx.proxy.namespace, key.host) : undefined;
  const memoKey = `eds|${clusterName}|${identityKey(rule)}|${ctx.proxy.clusterId}`;
  return memoPerPush(ctx.push, service, memoKey, () =>
    build(ctx, key.host, key.port, key.subset, rule, empty),
  );
}

function build(
  ctx: BuildContext,
  host: string,
  port: number,
  subsetName: string | undefined,
  rule: ReturnType<BuildContext['push']['destinationRule']>,
  empty: EnvoyResource,
): EnvoyResource {
  let labels: Record<string, string> | undefined;
  if (subsetName) {
    const subset = rule?.spec.subsets?.find((s) => s.name === subsetName);
    if (!subset) return empty;
    labels = subset.labels ?? {};
  }
  const endpoints = ctx.push.endpoints(host, port, labels);
  return { ...empty, endpoints: localityLbEndpoints(endpoints, ctx.proxy.clusterId) };
}
