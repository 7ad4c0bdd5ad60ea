// ClusterLoadAssignment (EDS) for an outbound cluster name: the endpoints of the
// service port, narrowed to the subset's labels. The SNI-DNAT clusters of an
// AUTO_PASSTHROUGH gateway (`outbound_.PORT_.SUBSET_.HOST`) get the same, less the
// endpoints that do not take mTLS (mtls-endpoints.ts). A name that matches nothing
// gets an empty assignment, as Istio sends, so a client waiting for it does not wait forever.
import type { Endpoint } from '../../model/types.ts';
import type { EnvoyResource } from '../types.ts';
import { parseClusterName, parseDnsSrvSubsetKey } from '../common/names.ts';
import { identityKey, memoPerPush } from '../common/push-memo.ts';
import { CLUSTER_LOAD_ASSIGNMENT } from '../common/type-urls.ts';
import type { BuildContext } from '../cluster/context.ts';
import { localityLbEndpoints } from './locality.ts';
import { mtlsEndpoints } from './mtls-endpoints.ts';

export function loadAssignment(ctx: BuildContext, clusterName: string): EnvoyResource {
  const empty: EnvoyResource = {
    '@type': CLUSTER_LOAD_ASSIGNMENT,
    cluster_name: clusterName,
    endpoints: [],
  };
  const sniDnat = parseDnsSrvSubsetKey(clusterName);
  const key = sniDnat ?? parseClusterName(clusterName);
  if (!key || key.direction !== 'outbound') return empty;
  const service = ctx.push.service(key.host, ctx.proxy.namespace);
  if (!service) return empty;
  // Shared per push by every proxy that resolves the same service and
  // DestinationRule from its namespace and has the same cluster id (locality
  // priorities): the same object, so it is encoded once per push. An SNI-DNAT
  // assignment depends on the rule's tls mode too, with or without a subset.
  const rule =
    key.subset || sniDnat ? ctx.push.destinationRule(ctx.proxy.namespace, key.host) : undefined;
  const memoKey = `eds|${clusterName}|${identityKey(rule)}|${ctx.proxy.clusterId}`;
  return memoPerPush(ctx.push, service, memoKey, () => {
    const keep = sniDnat ? mtlsEndpoints(ctx, rule, key.subset, key.port) : undefined;
    return build(ctx, key.host, key.port, key.subset, rule, empty, keep);
  });
}

function build(
  ctx: BuildContext,
  host: string,
  port: number,
  subsetName: string | undefined,
  rule: ReturnType<BuildContext['push']['destinationRule']>,
  empty: EnvoyResource,
  keep?: (e: Endpoint) => boolean,
): EnvoyResource {
  let labels: Record<string, string> | undefined;
  if (subsetName) {
    const subset = rule?.spec.subsets?.find((s) => s.name === subsetName);
    if (!subset) return empty;
    labels = subset.labels ?? {};
  }
  const all = ctx.push.endpoints(host, port, labels);
  const endpoints = keep ? all.filter(keep) : all;
  return { ...empty, endpoints: localityLbEndpoints(endpoints, ctx.proxy.clusterId) };
}
