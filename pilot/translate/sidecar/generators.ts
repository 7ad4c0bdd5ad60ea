// The Envoy sidecar family (proxy.type 'sidecar', generator 'envoy'): LDS, RDS, CDS, EDS.
import type { Proxy } from '../../model/proxy.ts';
import type { PushContext } from '../../model/types.ts';
import type { EnvoyResource, GeneratedResource, Generator } from '../types.ts';
import { selectNamed } from '../common/select.ts';
import {
  CLUSTER,
  CLUSTER_LOAD_ASSIGNMENT,
  LISTENER,
  ROUTE_CONFIGURATION,
} from '../common/type-urls.ts';
import type { BuildContext } from '../cluster/context.ts';
import { buildInboundCluster, inboundPorts } from '../cluster/inbound.ts';
import { buildOutboundClusters } from '../cluster/outbound.ts';
import {
  blackHoleCluster,
  inboundPassthroughCluster,
  passthroughCluster,
} from '../cluster/special.ts';
import { loadAssignment } from '../endpoint/load-assignment.ts';
import { outboundHttpPorts, sidecarOutboundListeners } from '../listener/outbound.ts';
import {
  boundInboundListeners,
  virtualInboundListener,
  virtualOutboundListener,
} from '../listener/virtual.ts';
import { interceptionNone } from '../common/interception.ts';
import { sidecarRouteConfiguration } from '../route/sidecar-routes.ts';
import { credentialSecretGenerator } from '../router/credentials.ts';

function context(push: PushContext, proxy: Proxy): BuildContext {
  return { push, proxy, family: 'sidecar' };
}

/** Outbound clusters of every service port the proxy sees (UDP has no Envoy cluster here). */
export function outboundClusters(ctx: BuildContext): EnvoyResource[] {
  const out: EnvoyResource[] = [];
  for (const service of ctx.push.servicesFor(ctx.proxy)) {
    for (const port of service.ports)
      if (port.protocol !== 'UDP') out.push(...buildOutboundClusters(ctx, service, port));
  }
  return out;
}

/** EDS for the proxy's EDS clusters (wildcard), or for the names it asked for. */
export function endpointsFor(
  ctx: BuildContext,
  clusters: () => readonly EnvoyResource[],
  names: readonly string[],
): GeneratedResource[] {
  const wanted =
    names.length > 0
      ? [...names]
      : clusters()
          .filter((c) => c.type === 'EDS')
          .map((c) => String(c.name));
  return selectNamed(
    wanted.map((n) => loadAssignment(ctx, n)),
    [],
    (r) => String(r.cluster_name),
  );
}

export const sidecarListenerGenerator: Generator<PushContext> = {
  typeUrl: LISTENER,
  generate(push, proxy, names) {
    const ctx = context(push, proxy);
    // Nothing is redirected to 15001/15006 without capture: no virtual listeners then.
    const virtual = interceptionNone(proxy)
      ? []
      : [virtualOutboundListener(ctx), virtualInboundListener(ctx)];
    return selectNamed(
      [...virtual, ...boundInboundListeners(ctx), ...sidecarOutboundListeners(ctx)],
      names,
    );
  },
};

export const sidecarRouteGenerator: Generator<PushContext> = {
  typeUrl: ROUTE_CONFIGURATION,
  generate(push, proxy, names) {
    const ctx = context(push, proxy);
    const ports =
      names.length > 0 ? names.filter((n) => /^\d+$/.test(n)).map(Number) : outboundHttpPorts(ctx);
    return selectNamed(
      ports.map((p) => sidecarRouteConfiguration(ctx, p)),
      names,
    );
  },
};

function allClusters(ctx: BuildContext): EnvoyResource[] {
  const timeout = ctx.push.mesh.connectTimeoutMs;
  return [
    ...outboundClusters(ctx),
    ...inboundPorts(ctx).map((p) => buildInboundCluster(ctx, p)),
    blackHoleCluster(timeout),
    passthroughCluster(timeout),
    inboundPassthroughCluster(ctx.proxy, timeout),
  ];
}

export const sidecarClusterGenerator: Generator<PushContext> = {
  typeUrl: CLUSTER,
  generate(push, proxy, names) {
    return selectNamed(allClusters(context(push, proxy)), names);
  },
};

export const sidecarEndpointGenerator: Generator<PushContext> = {
  typeUrl: CLUSTER_LOAD_ASSIGNMENT,
  generate(push, proxy, names) {
    const ctx = context(push, proxy);
    return endpointsFor(ctx, () => outboundClusters(ctx), names);
  },
};

export const SIDECAR_GENERATORS: readonly Generator<PushContext>[] = [
  sidecarListenerGenerator,
  sidecarRouteGenerator,
  sidecarClusterGenerator,
  sidecarEndpointGenerator,
  // DestinationRule credentialName (SIMPLE/MUTUAL to a service) over SDS, as for gateways.
  credentialSecretGenerator,
];
