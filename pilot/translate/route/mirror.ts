// VirtualService mirror / mirrors → request_mirror_policies: a copy of each request
// (fire and forget) to another cluster, for a fraction of requests (100% unless set;
// an explicit 0% mirrors nothing).
import type { HTTPRoute } from '../../../api/istio/index.ts';
import type { VirtualService } from '../../model/types.ts';
import { fractionOfInteger, fractionOfPercent } from '../common/envoy.ts';
import type { RouteContext } from './context.ts';
import { destinationCluster } from './destination.ts';

export function mirrorPolicies(
  ctx: RouteContext,
  vs: VirtualService,
  http: HTTPRoute,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const policy = (cluster: string, fraction: Record<string, unknown>) => ({
    cluster,
    runtime_fraction: { default_value: fraction },
    trace_sampled: { value: false },
  });
  if (http.mirror) {
    let fraction: Record<string, unknown> | undefined = fractionOfInteger(100);
    if (http.mirrorPercentage)
      fraction =
        http.mirrorPercentage.value > 0
          ? fractionOfPercent(http.mirrorPercentage.value)
          : undefined;
    else if (http.mirrorPercent !== undefined)
      fraction = http.mirrorPercent > 0 ? fractionOfInteger(http.mirrorPercent) : undefined;
    if (fraction) out.push(policy(destinationCluster(ctx, http.mirror, vs), fraction));
  }
  for (const m of http.mirrors ?? []) {
    const fraction = m.percentage
      ? m.percentage.value > 0
        ? fractionOfPercent(m.percentage.value)
        : undefined
      : fractionOfInteger(100);
    if (fraction) out.push(policy(destinationCluster(ctx, m.destination, vs), fraction));
  }
  return out;
}
