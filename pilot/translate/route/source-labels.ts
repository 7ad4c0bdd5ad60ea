// Whether the proxy's labels matter to what a VirtualService list generates: only
// when one of its routes matches on sourceLabels. Memo keys (route configs, outbound
// listeners) then add the labels; otherwise proxies of every workload share. The
// answer is cached per list: the lists come from the PushContext's per-scope caches.
import type { VirtualService } from '../../model/types.ts';

/** The route sections to look at: all of them (route configs) or tcp/tls only (listeners). */
export type RouteSections = 'all' | 'l4';

const cache: Record<RouteSections, WeakMap<readonly VirtualService[], boolean>> = {
  all: new WeakMap(),
  l4: new WeakMap(),
};

function routesOf(vs: VirtualService, sections: RouteSections) {
  const l4 = [...(vs.spec.tcp ?? []), ...(vs.spec.tls ?? [])];
  return sections === 'l4' ? l4 : [...(vs.spec.http ?? []), ...l4];
}

/** True when a route of `sections` in the list matches on non-empty sourceLabels. */
export function usesSourceLabels(
  list: readonly VirtualService[],
  sections: RouteSections,
): boolean {
  let uses = cache[sections].get(list);
  if (uses === undefined) {
    uses = list.some((vs) =>
      routesOf(vs, sections).some((r) =>
        r.match?.some((m) => m.sourceLabels && Object.keys(m.sourceLabels).length > 0),
      ),
    );
    cache[sections].set(list, uses);
  }
  return uses;
}
