// VirtualService hosts resolved to FQDNs, memoized per push: asked for every (service, VirtualService)
// pair of every proxy's route configs, and the result depends only on the push and
// the VirtualService. Plain WeakMaps, no key strings: this sits in the hottest loop.
import type { VirtualService } from '../../model/types.ts';
import type { BuildContext } from '../cluster/context.ts';

const resolvedHosts = new WeakMap<object, WeakMap<VirtualService, readonly string[]>>();

/** The VirtualService hosts resolved to FQDNs from the VirtualService's namespace; read-only. */
export function virtualServiceHosts(ctx: BuildContext, vs: VirtualService): readonly string[] {
  const namespace = vs.metadata.namespace;
  if (namespace === undefined)
    return (vs.spec.hosts ?? []).map((h) => ctx.push.resolveHost(h, ctx.proxy.namespace));
  let byVs = resolvedHosts.get(ctx.push);
  if (!byVs) {
    byVs = new WeakMap();
    resolvedHosts.set(ctx.push, byVs);
  }
  let hosts = byVs.get(vs);
  if (!hosts) {
    hosts = (vs.spec.hosts ?? []).map((h) => ctx.push.resolveHost(h, namespace));
    byVs.set(vs, hosts);
  }
  return hosts;
}
