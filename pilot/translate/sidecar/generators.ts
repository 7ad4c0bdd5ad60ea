// The Envoy sidecar family (proxy.type 'sidecar', generator 'envoy'): LDS, RDS, CDS, EDS.
import type { Proxy } from '../../model/proxy.ts';
import type { PushContext } from '../../model/types.ts';
import type { EnvoyResource, GeneratedResource, Generator } from '../types.ts';
import { selectNamed } from '../common/select.ts';
import { memoPerPush } from '../common/push-memo.ts';
import {
  CLUSTER,
  CLUSTER_LOAD_ASSIGNMENT,
  LISTENER,
  ROUTE_CONFIGURATION,
} from '../common/type-urls.ts';
import { outboundViewKey, type BuildContext } from '../cluster/context.ts';
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

/**
 * Outbound clusters of every service port the proxy sees (UDP has no Envoy
 * cluster here), deduplicated by name (the first wins, as Istio's
 * normalizeClusters). One list per push for every proxy with the same visible
 * services (the PushContext hands those out as one array) and view key: at a
 * thousand services that list is 3,000 clusters, and 500 proxies need it.
 * Callers must not mutate it.
 */
export function sharedOutboundClusters(ctx: BuildContext): {
  list: readonly GeneratedResource[];
  names: ReadonlySet<string>;
} {
  const services = ctx.push.servicesFor(ctx.proxy);
  return memoPerPush(ctx.push, services, `cds-list|${outboundViewKey(ctx)}`, () => {
    const out: EnvoyResource[] = [];
    for (const service of services) {
      for (const port of service.ports)
        if (port.protocol !== 'UDP') out.push(...buildOutboundClusters(ctx, service, port));
    }
    const list = Object.freeze(selectNamed(out, []));
    return { list, names: new Set(list.map((r) => r.name)) };
  });
}

/** Outbound clusters of every service port the proxy sees. */
export function outboundClusters(ctx: BuildContext): EnvoyResource[] {
  return sharedOutboundClusters(ctx).list.map((r) => r.resource);
}

/**
 * EDS for the proxy's EDS clusters (wildcard), or for the names it asked for.
 * The ADS server hands equal name lists out as one array, so proxies asking
 * for the same names from the same view share one list per push.
 */
export function endpointsFor(
  ctx: BuildContext,
  clusters: () => readonly EnvoyResource[],
  names: readonly string[],
): GeneratedResource[] {
  const build = (wanted: readonly string[]) =>
    selectNamed(
      wanted.map((n) => loadAssignment(ctx, n)),
      [],
      (r) => String(r.cluster_name),
    );
  if (names.length === 0)
    return build(
      clusters()
        .filter((c) => c.type === 'EDS')
        .map((c) => String(c.name)),
    );
  const key = `eds-list|${ctx.proxy.namespace}|${ctx.proxy.clusterId}`;
  return memoPerPush(ctx.push, names, key, () => build(names));
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

/** The shared outbound clusters, then the proxy's own (inbound, pass-through, black hole). */
function allClusters(ctx: BuildContext, names: readonly string[]): GeneratedResource[] {
  const timeout = ctx.push.mesh.connectTimeoutMs;
  const shared = sharedOutboundClusters(ctx);
  const own = selectNamed(
    [
      ...inboundPorts(ctx).map((p) => buildInboundCluster(ctx, p)),
      blackHoleCluster(timeout),
      passthroughCluster(timeout),
      inboundPassthroughCluster(ctx.proxy, timeout),
    ],
    [],
  ).filter((r) => !shared.names.has(r.name));
  // Proxies whose own clusters come out the same (replicas of one workload)
  // share the whole list too: the ADS server then encodes and frames it once.
  const ownKey = JSON.stringify(own);
  const all = memoPerPush(ctx.push, shared.list, `cds-all|${ownKey}`, () =>
    shared.list.concat(own),
  );
  if (names.length === 0) return all;
  const wanted = new Set(names);
  return all.filter((r) => wanted.has(r.name));
}

export const sidecarClusterGenerator: Generator<PushContext> = {
  typeUrl: CLUSTER,
  generate(push, proxy, names) {
    return allClusters(context(push, proxy), names);
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
