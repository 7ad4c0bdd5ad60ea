// The gateway family (proxy.type 'router'): listeners and routes from the Gateways
// selecting the proxy; the same outbound clusters and endpoints a sidecar has, plus
// the SNI-DNAT clusters of an AUTO_PASSTHROUGH server; and the credentials of its
// TLS servers over SDS.
import type { Proxy } from '../../model/proxy.ts';
import type { PushContext } from '../../model/types.ts';
import type { Generator } from '../types.ts';
import { selectNamed } from '../common/select.ts';
import {
  CLUSTER,
  CLUSTER_LOAD_ASSIGNMENT,
  LISTENER,
  ROUTE_CONFIGURATION,
} from '../common/type-urls.ts';
import type { BuildContext } from '../cluster/context.ts';
import { blackHoleCluster } from '../cluster/special.ts';
import { sniDnatClusters } from '../cluster/sni-dnat.ts';
import { gatewayListeners, httpRouteName, serversByPort } from '../listener/gateway.ts';
import { httpsRouteName } from '../listener/gateway-tls.ts';
import { credentialSecretGenerator } from './credentials.ts';
import { gatewayRouteConfiguration } from '../route/gateway-routes.ts';
import { applyRouteRateLimits } from '../security/http-filters.ts';
import { endpointsFor, outboundClusters } from '../sidecar/generators.ts';

function context(push: PushContext, proxy: Proxy): BuildContext {
  return { push, proxy, family: 'router' };
}

export const routerListenerGenerator: Generator<PushContext> = {
  typeUrl: LISTENER,
  generate(push, proxy, names) {
    return selectNamed(gatewayListeners(context(push, proxy)), names);
  },
};

export const routerRouteGenerator: Generator<PushContext> = {
  typeUrl: ROUTE_CONFIGURATION,
  generate(push, proxy, names) {
    const ctx = context(push, proxy);
    const configs = serversByPort(ctx).flatMap((e) => [
      ...(e.http.length > 0
        ? [
            applyRouteRateLimits(
              ctx,
              e.port,
              gatewayRouteConfiguration(ctx, httpRouteName(e.port), e.port, e.http),
            ),
          ]
        : []),
      // One route configuration per HTTPS server: only its hosts are served on its chain.
      ...e.https.map((s) =>
        applyRouteRateLimits(
          ctx,
          e.port,
          gatewayRouteConfiguration(ctx, httpsRouteName(s.server, s.gateway), e.port, [s]),
        ),
      ),
    ]);
    return selectNamed(configs, names);
  },
};

export const routerClusterGenerator: Generator<PushContext> = {
  typeUrl: CLUSTER,
  generate(push, proxy, names) {
    const ctx = context(push, proxy);
    // Istio's order: outbound, BlackHoleCluster, then SNI-DNAT.
    return selectNamed(
      [
        ...outboundClusters(ctx),
        blackHoleCluster(push.mesh.connectTimeoutMs),
        ...sniDnatClusters(ctx),
      ],
      names,
    );
  },
};

export const routerEndpointGenerator: Generator<PushContext> = {
  typeUrl: CLUSTER_LOAD_ASSIGNMENT,
  generate(push, proxy, names) {
    const ctx = context(push, proxy);
    return endpointsFor(ctx, () => [...outboundClusters(ctx), ...sniDnatClusters(ctx)], names);
  },
};

export const ROUTER_GENERATORS: readonly Generator<PushContext>[] = [
  routerListenerGenerator,
  routerRouteGenerator,
  routerClusterGenerator,
  routerEndpointGenerator,
  credentialSecretGenerator,
];
