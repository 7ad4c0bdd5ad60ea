// All HTTP routes of one VirtualService for one port, in order: each HTTPRoute once
// per match, and nothing after a catch-all (Envoy picks the first route that matches,
// so a route past a catch-all could never be reached).
import type { VirtualService } from '../../model/types.ts';
import type { RouteContext } from './context.ts';
import { translateRoute } from './http-route.ts';
import { isCatchAll } from './match.ts';

export function routesForVirtualService(
  ctx: RouteContext,
  vs: VirtualService,
  isTls = false,
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const http of vs.spec.http ?? []) {
    let catchAll = false;
    if (!http.match?.length) {
      const route = translateRoute(ctx, vs, http, undefined, isTls);
      if (route) out.push(route);
      catchAll = true;
    } else {
      for (const match of http.match) {
        const route = translateRoute(ctx, vs, http, match, isTls);
        if (!route) continue;
        out.push(route);
        if (isCatchAll(route.match as Record<string, unknown>)) {
          catchAll = true;
          break;
        }
      }
    }
    if (catchAll) break;
  }
  return out;
}

/** Moves catch-all routes behind the others (several VirtualServices merged on one gateway host). */
export function catchAllLast(routes: Record<string, unknown>[]): Record<string, unknown>[] {
  const rest = routes.filter((r) => !isCatchAll(r.match as Record<string, unknown>));
  return [...rest, ...routes.filter((r) => isCatchAll(r.match as Record<string, unknown>))];
}
