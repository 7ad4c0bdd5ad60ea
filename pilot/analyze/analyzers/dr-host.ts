// IST0174: a DestinationRule whose host matches no service visible from its
// namespace applies to nothing (Istio's destinationrule.UnknownHostAnalyzer).
import type { DestinationRuleSpec } from '../../../api/istio/index.ts';
import { MESSAGES } from '../messages.ts';
import type { Analyzer } from '../types.ts';

export const unknownDestinationRuleHostAnalyzer: Analyzer = {
  name: 'destinationrule.UnknownHostAnalyzer',
  description: 'Checks that the host of each DestinationRule matches a service',
  analyze(ctx) {
    for (const dr of ctx.snapshot.list('DestinationRule')) {
      const spec = dr.spec as DestinationRuleSpec;
      const namespace = dr.metadata.namespace ?? 'default';
      const host = ctx.push.resolveHost(spec.host, namespace);
      if (ctx.services.matching(host, namespace).length > 0) continue;
      ctx.report(MESSAGES.UnknownDestinationRuleHost.make(spec.host), dr, ['spec', 'host']);
    }
  },
};
