// The proxyless gRPC family (node metadata GENERATOR=grpc), Istio's grpcgen shapes:
// LDS `host:port` API listeners whose HCM points at RDS `FQDN:port`; one virtual host
// per route configuration; EDS clusters `outbound|port|subset|host`; EDS. Only what
// grpc-js-xds and grpc-go accept (see route/http-route.ts, cluster/outbound.ts).
import type { Proxy } from '../../model/proxy.ts';
import type { PushContext, Service, ServicePort } from '../../model/types.ts';
import type { EnvoyResource, Generator } from '../types.ts';
import { socketAddress } from '../common/envoy.ts';
import { joinHostPort, parseClusterName, splitHostPort } from '../common/names.ts';
import { isHttpProtocol } from '../common/protocol.ts';
import { selectNamed } from '../common/select.ts';
import {
  CLUSTER,
  CLUSTER_LOAD_ASSIGNMENT,
  LISTENER,
  ROUTE_CONFIGURATION,
} from '../common/type-urls.ts';
import type { BuildContext } from '../cluster/context.ts';
import { buildOutboundClusters } from '../cluster/outbound.ts';
import { httpConnectionManager } from '../listener/filters.ts';
import { sidecarVirtualHosts, uniqueDomains, virtualHostObject } from '../route/sidecar-routes.ts';
import { endpointsFor } from '../sidecar/generators.ts';
import { parseRequestedListeners } from './names.ts';

function context(push: PushContext, proxy: Proxy): BuildContext {
  return { push, proxy, family: 'grpc' };
}

/** Ports a gRPC client can call: HTTP-family protocols, or undeclared (gRPC is what the client speaks). */
export function grpcPorts(service: Service): ServicePort[] {
  return service.ports.filter((p) => isHttpProtocol(p.protocol) || p.protocol === 'UNSPECIFIED');
}

function apiListener(name: string, service: Service, port: number): EnvoyResource {
  const hcm = httpConnectionManager({
    statPrefix: name,
    // Istio's grpcgen names a proxyless route config like the service's default cluster.
    rds: grpcRouteConfigName(service.hostname, port),
    family: 'grpc',
  });
  return {
    '@type': LISTENER,
    name,
    address: socketAddress(service.addresses[0] ?? '0.0.0.0', port),
    api_listener: { api_listener: hcm },
  };
}

export const grpcListenerGenerator: Generator<PushContext> = {
  typeUrl: LISTENER,
  generate(push, proxy, names) {
    const ctx = context(push, proxy);
    const out: EnvoyResource[] = [];
    if (names.length === 0) {
      for (const s of push.servicesFor(proxy))
        for (const p of grpcPorts(s))
          out.push(apiListener(joinHostPort(s.hostname, p.port), s, p.port));
    } else {
      for (const req of parseRequestedListeners(ctx, names)) {
        // A name without a port asks for every port; each listener then carries the port in its name.
        const ports = grpcPorts(req.service).filter(
          (p) => req.port === undefined || p.port === req.port,
        );
        for (const p of ports)
          out.push(
            apiListener(
              req.port === undefined ? joinHostPort(req.name, p.port) : req.name,
              req.service,
              p.port,
            ),
          );
      }
    }
    // Requested names were resolved above (a portless name yields one listener per port).
    return selectNamed(out, []);
  },
};

/** `outbound|9080||reviews.default.svc.cluster.local`, as Istio's grpcgen names route configs. */
export function grpcRouteConfigName(hostname: string, port: number): string {
  return `outbound|${port}||${hostname}`;
}

export function grpcRouteConfiguration(ctx: BuildContext, name: string): EnvoyResource | undefined {
  const key = parseClusterName(name);
  if (!key || key.direction !== 'outbound' || key.subset) return undefined;
  const { host, port } = key;
  const service = ctx.push.service(host, ctx.proxy.namespace);
  if (!service || !grpcPorts(service).some((p) => p.port === port)) return undefined;
  const hosts = uniqueDomains(sidecarVirtualHosts(ctx, port!, service)).map(virtualHostObject);
  return { '@type': ROUTE_CONFIGURATION, name, virtual_hosts: hosts };
}

export const grpcRouteGenerator: Generator<PushContext> = {
  typeUrl: ROUTE_CONFIGURATION,
  generate(push, proxy, names) {
    const ctx = context(push, proxy);
    const wanted =
      names.length > 0
        ? names
        : push
            .servicesFor(proxy)
            .flatMap((s) => grpcPorts(s).map((p) => grpcRouteConfigName(s.hostname, p.port)));
    return selectNamed(
      wanted
        .map((n) => grpcRouteConfiguration(ctx, n))
        .filter((r): r is EnvoyResource => r !== undefined),
      names,
    );
  },
};

function grpcClusters(ctx: BuildContext, names: readonly string[]): EnvoyResource[] {
  const out: EnvoyResource[] = [];
  if (names.length === 0) {
    for (const s of ctx.push.servicesFor(ctx.proxy))
      for (const p of grpcPorts(s)) out.push(...buildOutboundClusters(ctx, s, p));
    return out;
  }
  // One build per service port covers the default cluster and all its subsets.
  const built = new Set<string>();
  for (const name of names) {
    const key = parseClusterName(name);
    if (!key || key.direction !== 'outbound') continue;
    const id = `${key.host}|${key.port}`;
    if (built.has(id)) continue;
    built.add(id);
    const service = ctx.push.service(key.host, ctx.proxy.namespace);
    const port = service?.ports.find((p) => p.port === key.port);
    if (service && port) out.push(...buildOutboundClusters(ctx, service, port));
  }
  return out;
}

export const grpcClusterGenerator: Generator<PushContext> = {
  typeUrl: CLUSTER,
  generate(push, proxy, names) {
    return selectNamed(grpcClusters(context(push, proxy), names), names);
  },
};

export const grpcEndpointGenerator: Generator<PushContext> = {
  typeUrl: CLUSTER_LOAD_ASSIGNMENT,
  generate(push, proxy, names) {
    const ctx = context(push, proxy);
    return endpointsFor(ctx, () => grpcClusters(ctx, []), names);
  },
};

export const GRPC_GENERATORS: readonly Generator<PushContext>[] = [
  grpcListenerGenerator,
  grpcRouteGenerator,
  grpcClusterGenerator,
  grpcEndpointGenerator,
];
