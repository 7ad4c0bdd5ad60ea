// Semantic views for proxyless gRPC clients: the views of xds-views.ts with the
// foldings for what gRPC clients implement of xDS. Petrel's grpc generators keep
// to what grpc-js-xds accepts (pilot/translate/grpc, cluster/lb.ts); each folding
// here is one of those choices, listed in test/interop/README.md.
import type { XdsSnapshot } from './ads-probe.ts';
import { byKey, clusterView, listenerViews, routesByListener } from './xds-views.ts';

type Obj = Record<string, any>;

/**
 * Clusters as a gRPC client uses them. LEAST_REQUEST counts as ROUND_ROBIN:
 * grpc-js-xds rejects a cluster with lb_policy LEAST_REQUEST ("unsupported
 * lb_policy"), so Petrel sends ROUND_ROBIN where Istio sends LEAST_REQUEST.
 * Outlier detection is compared on its own (outlierDetectionByCluster).
 */
export function proxylessClusterViews(snap: XdsSnapshot): Record<string, Obj> {
  return byKey(
    [...snap.clusters].map(([name, c]) => {
      const { outlier_detection: _od, ...view } = clusterView(c);
      if (view.lb_policy === 'LEAST_REQUEST') view.lb_policy = 'ROUND_ROBIN';
      return [name, view];
    }),
  );
}

/** Cluster name → its outlier detection (grpc-js-xds applies it, gRFC A50). */
export function outlierDetectionByCluster(
  snap: XdsSnapshot,
  names: Iterable<string>,
): Record<string, Obj | undefined> {
  return byKey(
    [...names].map((n) => [n, (snap.clusters.get(n) as Obj | undefined)?.outlier_detection]),
  );
}

/**
 * Listener → the routes it reaches, as a gRPC client evaluates them: a route
 * with query_parameters is skipped by gRPC clients (gRFC A28), so Petrel leaves
 * it out and Istio sends it; and a listener whose route configuration has no
 * virtual host (Istio answers a wildcard LDS with one per TCP port too) routes
 * nothing, so Petrel does not list it.
 */
export function proxylessRoutesByListener(snap: XdsSnapshot): Record<string, Obj[]> {
  const out: [string, Obj[]][] = [];
  for (const [listener, configs] of Object.entries(routesByListener(snap))) {
    const kept = configs.map((rc) =>
      rc.virtual_hosts
        ? {
            virtual_hosts: rc.virtual_hosts.map((vh: Obj) => ({
              ...vh,
              routes: vh.routes.filter((r: Obj) => r.match.query_parameters.length === 0),
            })),
          }
        : rc,
    );
    if (kept.every((rc) => rc.virtual_hosts?.length === 0)) continue;
    out.push([listener, kept]);
  }
  return byKey(out);
}

/** listenerViews for the listeners that route somewhere (see proxylessRoutesByListener). */
export function proxylessListenerViews(snap: XdsSnapshot): Record<string, string[]> {
  const routing = new Set(Object.keys(proxylessRoutesByListener(snap)));
  return byKey(Object.entries(listenerViews(snap)).filter(([name]) => routing.has(name)));
}
