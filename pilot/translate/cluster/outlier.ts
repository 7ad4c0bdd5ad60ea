// DestinationRule outlierDetection → Envoy outlier_detection, as Istio sets it:
// success-rate ejection off, each configured consecutive-error detector enforced at
// 100%, and the panic threshold set from minHealthPercent (0 when unset: a small
// Kubernetes service should not spray traffic to unhealthy pods in panic mode).
import type { OutlierDetection } from '../../../api/istio/index.ts';
import { goDuration, u32 } from '../common/envoy.ts';
import type { ClusterDraft } from './draft.ts';

export function applyOutlierDetection(
  draft: ClusterDraft,
  outlier: OutlierDetection | undefined,
): void {
  if (!outlier) return;
  const out: Record<string, unknown> = { enforcing_success_rate: u32(0) };
  if (outlier.consecutive5xxErrors !== undefined) {
    out.consecutive_5xx = u32(outlier.consecutive5xxErrors);
    out.enforcing_consecutive_5xx = u32(outlier.consecutive5xxErrors > 0 ? 100 : 0);
  }
  if (outlier.consecutiveGatewayErrors !== undefined) {
    out.consecutive_gateway_failure = u32(outlier.consecutiveGatewayErrors);
    out.enforcing_consecutive_gateway_failure = u32(outlier.consecutiveGatewayErrors > 0 ? 100 : 0);
  }
  if (outlier.interval) out.interval = goDuration(outlier.interval);
  if (outlier.baseEjectionTime) out.base_ejection_time = goDuration(outlier.baseEjectionTime);
  if (outlier.maxEjectionPercent) out.max_ejection_percent = u32(outlier.maxEjectionPercent);
  if (outlier.splitExternalLocalOriginErrors) {
    out.split_external_local_origin_errors = true;
    if (outlier.consecutiveLocalOriginFailures) {
      out.consecutive_local_origin_failure = u32(outlier.consecutiveLocalOriginFailures);
      out.enforcing_consecutive_local_origin_failure = u32(100);
    }
    out.enforcing_local_origin_success_rate = u32(0);
  }
  draft.cluster.outlier_detection = out;
  const common = (draft.cluster.common_lb_config ??= {}) as Record<string, unknown>;
  common.healthy_panic_threshold = { value: outlier.minHealthPercent ?? 0 };
}
