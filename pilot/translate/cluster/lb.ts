// DestinationRule loadBalancer → Envoy lb_policy and its config. Istio's default is
// LEAST_REQUEST; LEAST_CONN is its old name; PASSTHROUGH sends to the original
// destination; consistentHash picks RING_HASH or MAGLEV (the hash key goes on the
// route, see route/hash-policy.ts). Proxyless gRPC only knows ROUND_ROBIN and RING_HASH.
import type { LoadBalancerSettings } from '../../../api/istio/index.ts';
import { goDuration } from '../common/envoy.ts';
import type { ClusterDraft } from './draft.ts';

export function applyLoadBalancer(draft: ClusterDraft, lb: LoadBalancerSettings | undefined): void {
  const c = draft.cluster;
  if (c.type === 'ORIGINAL_DST') {
    c.lb_policy = 'CLUSTER_PROVIDED';
    return;
  }
  const slowStart = lb?.warmupDurationSecs
    ? { slow_start_config: { slow_start_window: goDuration(lb.warmupDurationSecs) } }
    : undefined;
  switch (lb?.simple) {
    case 'RANDOM':
      c.lb_policy = 'RANDOM';
      break;
    case 'ROUND_ROBIN':
      c.lb_policy = 'ROUND_ROBIN';
      if (slowStart) c.round_robin_lb_config = slowStart;
      break;
    case 'PASSTHROUGH':
      c.type = 'ORIGINAL_DST';
      c.lb_policy = 'CLUSTER_PROVIDED';
      delete c.eds_cluster_config;
      delete c.load_assignment;
      break;
    default: // LEAST_CONN, LEAST_REQUEST, UNSPECIFIED, unset
      c.lb_policy = 'LEAST_REQUEST';
      if (slowStart) c.least_request_lb_config = slowStart;
  }
  applyConsistentHash(draft, lb);
}

function applyConsistentHash(draft: ClusterDraft, lb: LoadBalancerSettings | undefined): void {
  const hash = lb?.consistentHash;
  if (!hash) return;
  const c = draft.cluster;
  delete c.round_robin_lb_config;
  delete c.least_request_lb_config;
  if (hash.maglev) {
    c.lb_policy = 'MAGLEV';
    if (hash.maglev.tableSize)
      c.maglev_lb_config = { table_size: { value: hash.maglev.tableSize } };
  } else if (hash.ringHash) {
    c.lb_policy = 'RING_HASH';
    if (hash.ringHash.minimumRingSize)
      c.ring_hash_lb_config = { minimum_ring_size: { value: hash.ringHash.minimumRingSize } };
  } else {
    // Envoy's default ring size is 1024; Istio writes it out unless the deprecated field says otherwise.
    c.lb_policy = 'RING_HASH';
    c.ring_hash_lb_config = { minimum_ring_size: { value: hash.minimumRingSize || 1024 } };
  }
}

/** Proxyless gRPC: ROUND_ROBIN, or RING_HASH for any consistentHash (gRPC has no MAGLEV). */
export function applyGrpcLoadBalancer(
  draft: ClusterDraft,
  lb: LoadBalancerSettings | undefined,
): void {
  const hash = lb?.consistentHash;
  if (!hash) {
    draft.cluster.lb_policy = 'ROUND_ROBIN';
    return;
  }
  draft.cluster.lb_policy = 'RING_HASH';
  const size = hash.ringHash?.minimumRingSize || hash.minimumRingSize;
  if (size) draft.cluster.ring_hash_lb_config = { minimum_ring_size: { value: size } };
}
