// IST0101: a Gateway whose selector matches no workload configures nothing
// (Istio's gateway.IngressGatewayPortAnalyzer, first half). Pods in any
// namespace count, as pilot binds Gateways across namespaces. A config with no
// Pods at all says nothing about workloads (a bare file set), so the check
// needs at least one Pod to judge.
import type { GatewaySpec } from '../../../api/istio/index.ts';
import { selectorMatches } from '../../model/labels.ts';
import { MESSAGES } from '../messages.ts';
import type { Analyzer } from '../types.ts';

/** A label set as Kubernetes prints a selector: `k=v,k2=v2`, keys sorted. */
export function selectorString(selector: Readonly<Record<string, string>> | undefined): string {
  return Object.keys(selector ?? {})
    .sort()
    .map((k) => `${k}=${selector![k]}`)
    .join(',');
}

export const gatewaySelectorAnalyzer: Analyzer = {
  name: 'gateway.SelectorAnalyzer',
  description: "Checks that a gateway's selector matches at least one workload",
  analyze(ctx) {
    const pods = ctx.snapshot.list('Pod');
    if (pods.length === 0) return;
    const labels = pods.map((p) => p.metadata.labels ?? {});
    for (const gw of ctx.snapshot.list('Gateway')) {
      const selector = (gw.spec as GatewaySpec).selector;
      if (labels.some((l) => selectorMatches(selector, l))) continue;
      ctx.report(
        MESSAGES.ReferencedResourceNotFound.make('selector', selectorString(selector)),
        gw,
        ['spec', 'selector'],
      );
    }
  },
};
