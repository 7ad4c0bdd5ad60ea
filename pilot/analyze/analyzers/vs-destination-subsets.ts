// IST0101: a destination's subset must be defined by the DestinationRule that
// applies to its host from the VirtualService's namespace (Istio's
// virtualservice.DestinationRuleAnalyzer). The lookup is pilot's own
// (namespace precedence, exportTo, merged rules), so what this reports is what
// pilot would fail to find when building the route.
import type { VirtualServiceSpec } from '../../../api/istio/index.ts';
import { MESSAGES } from '../messages.ts';
import type { Analyzer } from '../types.ts';
import { destinationsOf } from './vs-walk.ts';

export const destinationSubsetAnalyzer: Analyzer = {
  name: 'virtualservice.DestinationRuleAnalyzer',
  description: 'Checks the destination rules associated with each virtual service',
  analyze(ctx) {
    for (const vs of ctx.snapshot.list('VirtualService')) {
      const namespace = vs.metadata.namespace ?? 'default';
      for (const d of destinationsOf(vs.spec as VirtualServiceSpec)) {
        if (!d.subset) continue;
        const host = ctx.push.resolveHost(d.host, namespace);
        const rule = ctx.push.destinationRule(namespace, host);
        if (rule?.spec.subsets?.some((s) => s.name === d.subset)) continue;
        ctx.report(
          MESSAGES.ReferencedResourceNotFound.make(
            'host+subset in destinationrule',
            `${d.host}+${d.subset}`,
          ),
          vs,
          [...d.path, 'subset'],
        );
      }
    }
  },
};
