// Outbound clusters of one service port: `outbound|PORT||HOST` plus one per
// DestinationRule subset, each with its traffic policy applied feature by feature.
// The same in Istio's SNI-DNAT mode, for a gateway with an AUTO_PASSTHROUGH server:
// `outbound_.PORT_.SUBSET_.HOST`, the name a sidecar sends as SNI, and no TLS of
// its own (the gateway forwards the client's mTLS untouched), so neither the
// rule's tls nor auto mTLS apply; its endpoints are the mTLS ones only.
import type { Subset } from '../../../api/istio/index.ts';
import type { DestinationRule, Service, ServicePort } from '../../model/types.ts';
import type { EnvoyResource } from '../types.ts';
import { adsConfigSource } from '../common/envoy.ts';
import { configPath, dnsSrvSubsetKey, outboundClusterName } from '../common/names.ts';
import { ipv6Only } from '../common/interception.ts';
import { identityKey, memoPerPush } from '../common/push-memo.ts';
import { applyConnectionPool, applyH2Upgrade, applyPortProtocol } from './connection-pool.ts';
import type { BuildContext } from './context.ts';
import { applyDiscovery } from './discovery.ts';
import { finishDraft, newDraft } from './draft.ts';
import type { ClusterDraft } from './draft.ts';
import { applyGrpcLoadBalancer, applyLoadBalancer } from './lb.ts';
import { applyOutlierDetection } from './outlier.ts';
import { policyForPort, policyForSubset } from './policy.ts';
import type { PortPolicy } from './policy.ts';
import { applyGrpcTls, applyTls, autoMtlsApplies } from './tls.ts';
import type { TlsTarget } from './tls.ts';
import { mtlsEndpoints } from '../endpoint/mtls-endpoints.ts';

/** Istio's ClusterMode: a proxy's own outbound cluster, or a gateway's SNI-DNAT one. */
export type ClusterMode = 'default' | 'sni-dnat';

/** Istio's telemetry metadata: which service (and DestinationRule, subset) a cluster is for. */
function clusterMetadata(
  service: Service,
  rule: DestinationRule | undefined,
  subset: string | undefined,
): Record<string, unknown> {
  const istio: Record<string, unknown> = {
    services: [{ host: service.hostname, name: service.name, namespace: service.namespace }],
  };
  if (rule)
    istio.config = configPath('DestinationRule', rule.metadata.namespace ?? '', rule.metadata.name);
  if (subset) istio.subset = subset;
  if (service.meshExternal) istio.external = true;
  return { filter_metadata: { istio } };
}

/** SPIFFE identities of the service's workloads, for mTLS subject checks. */
function identities(ctx: BuildContext, service: Service, port: number): string[] {
  const out = new Set<string>();
  for (const e of ctx.push.endpoints(service.hostname, port)) {
    if (e.serviceAccount)
      out.add(`spiffe://${ctx.push.mesh.trustDomain}/ns/${e.namespace}/sa/${e.serviceAccount}`);
  }
  return [...out].sort();
}

function tlsTargetOf(
  ctx: BuildContext,
  service: Service,
  port: ServicePort,
  subset: Subset | undefined,
): TlsTarget {
  return {
    // Istio's SNI for in-mesh mTLS is the DNS-SRV-like subset key.
    istioSni: dnsSrvSubsetKey(port.port, subset?.name, service.hostname),
    identities: identities(ctx, service, port.port),
    autoMtls: autoMtlsApplies(ctx, service),
  };
}

function buildOne(
  ctx: BuildContext,
  service: Service,
  port: ServicePort,
  rule: DestinationRule | undefined,
  policy: PortPolicy | undefined,
  subset: Subset | undefined,
  mode: ClusterMode,
): EnvoyResource | undefined {
  const sniDnat = mode === 'sni-dnat';
  const name = sniDnat
    ? dnsSrvSubsetKey(port.port, subset?.name, service.hostname)
    : outboundClusterName(port.port, subset?.name, service.hostname);
  const draft = newDraft({ name });
  if (ctx.family === 'grpc')
    return buildGrpc(draft, policy, tlsTargetOf(ctx, service, port, subset));

  const keep = sniDnat ? mtlsEndpoints(ctx, rule, subset?.name, port.port) : undefined;
  if (!applyDiscovery(ctx, draft.cluster, service, port, subset?.labels, keep)) return undefined;
  // Istio turns Envoy's panic mode off (threshold 0%) on every outbound service cluster:
  // with few endpoints, 50% unhealthy would otherwise spray traffic over dead ones.
  draft.cluster.common_lb_config = { healthy_panic_threshold: { value: 0 } };
  draft.cluster.metadata = clusterMetadata(service, rule, subset?.name);
  applyPortProtocol(draft, port, ctx.family === 'sidecar');
  applyConnectionPool(draft, policy?.connectionPool, ctx.push.mesh.connectTimeoutMs);
  applyH2Upgrade(draft, policy?.connectionPool);
  applyOutlierDetection(draft, policy?.outlierDetection);
  applyLoadBalancer(draft, policy?.loadBalancer);
  if (!sniDnat) applyTls(draft, policy?.tls, tlsTargetOf(ctx, service, port, subset));
  return finishDraft(draft);
}

/**
 * Istio's grpcgen cluster: EDS over ADS, ROUND_ROBIN or RING_HASH, ISTIO_MUTUAL via
 * certificate providers; plus the outlier detection and max_requests grpc-js-xds honours.
 */
function buildGrpc(
  draft: ClusterDraft,
  policy: PortPolicy | undefined,
  tlsTarget: TlsTarget,
): EnvoyResource {
  const c = draft.cluster;
  c.type = 'EDS';
  c.eds_cluster_config = { eds_config: adsConfigSource(), service_name: c.name };
  applyGrpcLoadBalancer(draft, policy?.loadBalancer);
  if (policy?.outlierDetection) applyOutlierDetection(draft, policy.outlierDetection);
  delete c.common_lb_config; // gRPC has no panic threshold
  const maxRequests = policy?.connectionPool?.http?.http2MaxRequests;
  if (maxRequests)
    c.circuit_breakers = {
      thresholds: [{ priority: 'DEFAULT', max_requests: { value: maxRequests } }],
    };
  applyGrpcTls(draft, policy?.tls, tlsTarget);
  return finishDraft(draft);
}

/**
 * The default cluster and the subset clusters of one service port, in that order.
 * Shared per push by every proxy for which they come out the same: besides the
 * push and the service port, a cluster depends on the family, the DestinationRule
 * the proxy's namespace sees, and (DNS clusters only) the proxy's cluster id and
 * whether all its IPs are IPv6. Callers must not mutate the returned objects.
 */
export function buildOutboundClusters(
  ctx: BuildContext,
  service: Service,
  port: ServicePort,
): EnvoyResource[] {
  return buildMemoized(ctx, service, port, 'default');
}

/**
 * The SNI-DNAT clusters of one service port (default, then subsets), shared per
 * push as buildOutboundClusters' are. Callers must not mutate the returned objects.
 */
export function buildSniDnatClusters(
  ctx: BuildContext,
  service: Service,
  port: ServicePort,
): EnvoyResource[] {
  return buildMemoized(ctx, service, port, 'sni-dnat');
}

function buildMemoized(
  ctx: BuildContext,
  service: Service,
  port: ServicePort,
  mode: ClusterMode,
): EnvoyResource[] {
  const rule = ctx.push.destinationRule(ctx.proxy.namespace, service.hostname);
  const prefix = mode === 'default' ? 'cds' : 'cds-sni-dnat';
  const key = `${prefix}|${ctx.family}|${identityKey(service)}|${identityKey(rule)}|${ctx.proxy.clusterId}|${ipv6Only(ctx.proxy)}`;
  return [...memoPerPush(ctx.push, port, key, () => buildUncached(ctx, service, port, rule, mode))];
}

function buildUncached(
  ctx: BuildContext,
  service: Service,
  port: ServicePort,
  rule: DestinationRule | undefined,
  mode: ClusterMode,
): EnvoyResource[] {
  const policy = policyForPort(rule?.spec.trafficPolicy, port.port);
  const out: EnvoyResource[] = [];
  const main = buildOne(ctx, service, port, rule, policy, undefined, mode);
  if (main) out.push(main);
  for (const subset of rule?.spec.subsets ?? []) {
    const cluster = buildOne(
      ctx,
      service,
      port,
      rule,
      policyForSubset(policy, subset, port.port),
      subset,
      mode,
    );
    if (cluster) out.push(cluster);
  }
  return out;
}
