// IST0173: a DestinationRule subset whose labels select none of its service's
// endpoints: traffic routed to it finds no upstream (503 UH). Endpoints are
// pilot's own (EndpointSlices joined with Pod labels). A service with no
// endpoints at all is left alone: its subsets are not the problem.
import type { DestinationRuleSpec } from '../../../api/istio/index.ts';
import { MESSAGES } from '../messages.ts';
import type { Analyzer } from '../types.ts';

export const subsetSelectsNothingAnalyzer: Analyzer = {
  name: 'destinationrule.SubsetNotSelectPodsAnalyzer',
  description: 'Checks that every DestinationRule subset selects at least one endpoint',
  analyze(ctx) {
    for (const dr of ctx.snapshot.list('DestinationRule')) {
      const spec = dr.spec as DestinationRuleSpec;
      if (!spec.subsets?.length) continue;
      const namespace = dr.metadata.namespace ?? 'default';
      const host = ctx.push.resolveHost(spec.host, namespace);
      for (const service of ctx.services.matching(host, namespace)) {
        const ports = service.ports.map((p) => p.port);
        const any = (labels?: Record<string, string>) =>
          ports.some(
            (port) => ctx.push.endpoints(service.hostname, port, labels, namespace).length > 0,
          );
        if (!any()) continue;
        spec.subsets.forEach((subset, i) => {
          if (!subset.labels || Object.keys(subset.labels).length === 0) return;
          if (any(subset.labels)) return;
          ctx.report(MESSAGES.DestinationRuleSubsetNotSelectPods.make(subset.name), dr, [
            'spec',
            'subsets',
            i,
            'name',
          ]);
        });
      }
    }
  },
};
