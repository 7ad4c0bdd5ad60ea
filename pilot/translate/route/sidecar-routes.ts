// A sidecar's outbound RouteConfiguration for one port (named by the port, "9080"):
// one virtual host per service on that port, with the routes of the VirtualService
// that claims the service or Istio's default route, plus a catch-all virtual host
// that passes unknown hosts through (ALLOW_ANY) or answers 502 (REGISTRY_ONLY).
import type { Service, VirtualService } from '../../model/types.ts';
import type { EnvoyResource } from '../types.ts';
import { hostsOverlap, serviceDomains } from '../common/hosts.ts';
import { PASSTHROUGH_CLUSTER } from '../common/names.ts';
import { isHttpProtocol } from '../common/protocol.ts';
import { identityKey, memoPerPush } from '../common/push-memo.ts';
import { labelsKey } from '../../model/labels.ts';
import { ROUTE_CONFIGURATION } from '../common/type-urls.ts';
import type { BuildContext } from '../cluster/context.ts';
import { MESH_GATEWAY } from './context.ts';
import type { RouteContext } from './context.ts';
import { defaultRoute } from './default-route.ts';
import { routesForVirtualService } from './virtual-service.ts';
import { claimingVirtualService } from './vs-claims.ts';
import { usesSourceLabels } from './source-labels.ts';
import { virtualServiceHosts } from './vs-hosts.ts';

export interface VirtualHostEntry {
  name: string;
  domains: string[];
  routes: Record<string, unknown>[];
}

/** A proxyless gRPC client speaks gRPC on ports of undeclared protocol too. */
function routable(ctx: BuildContext, protocol: string): boolean {
  return isHttpProtocol(protocol) || (ctx.family === 'grpc' && protocol === 'UNSPECIFIED');
}

/** Virtual hosts for the services on `port`, restricted to `only` when given (proxyless gRPC: one service). */
export function sidecarVirtualHosts(
  ctx: BuildContext,
  port: number,
  only?: Service,
): VirtualHostEntry[] {
  const rctx: RouteContext = { ...ctx, listenPort: port, gatewayNames: new Set([MESH_GATEWAY]) };
  const services = (only ? [only] : ctx.push.servicesFor(ctx.proxy)).filter((s) =>
    s.ports.some((p) => p.port === port && routable(ctx, p.protocol)),
  );
  const virtualServices = ctx.push.virtualServicesForSidecar(ctx.proxy);
  const routeCache = new Map<VirtualService, Record<string, unknown>[]>();
  const out: VirtualHostEntry[] = [];
  for (const service of services) {
    const vs = claimingVirtualService(ctx, service, virtualServices);
    let routes: Record<string, unknown>[] = [];
    if (vs) {
      if (!routeCache.has(vs)) routeCache.set(vs, routesForVirtualService(rctx, vs));
      routes = routeCache.get(vs)!;
    }
    // A VirtualService with no route for this port leaves the service its default route.
    if (routes.length === 0) routes = [defaultRoute(rctx, service, port)];
    out.push({
      name: `${service.hostname}:${port}`,
      domains: serviceDomains(service, port, ctx.proxy),
      routes,
    });
  }
  if (!only && port === 80) out.push(...nonRegistryHosts(rctx, virtualServices));
  return out;
}

interface HostnameSet {
  overlaps(host: string): boolean;
}

// Per services list (cached per push and scope): port 80's route config asks, for
// each VirtualService host, whether any service has it — a scan of every service.
const hostnameSets = new WeakMap<readonly Service[], HostnameSet>();

function serviceHostnames(services: readonly Service[]): HostnameSet {
  let set = hostnameSets.get(services);
  if (set) return set;
  const exact = new Set<string>();
  const wildcards: string[] = [];
  for (const s of services) {
    if (s.hostname.startsWith('*')) wildcards.push(s.hostname);
    else exact.add(s.hostname);
  }
  set = {
    overlaps: (host) =>
      host.startsWith('*')
        ? services.some((s) => hostsOverlap(host, s.hostname))
        : exact.has(host) || wildcards.some((w) => hostsOverlap(host, w)),
  };
  hostnameSets.set(services, set);
  return set;
}

/**
 * VirtualService hosts that name no service (e.g. `api.example.com` without a
 * ServiceEntry) get a virtual host on port 80 only, as in Istio: plain HTTP to an
 * external name is the one case a sidecar can route without knowing the port.
 */
function nonRegistryHosts(
  rctx: RouteContext,
  virtualServices: readonly VirtualService[],
): VirtualHostEntry[] {
  const out: VirtualHostEntry[] = [];
  const names = serviceHostnames(rctx.push.servicesFor(rctx.proxy));
  for (const vs of virtualServices) {
    if (!vs.spec.http?.length) continue;
    const hosts = virtualServiceHosts(rctx, vs).filter((h) => !names.overlaps(h));
    if (hosts.length === 0) continue;
    const routes = routesForVirtualService(rctx, vs);
    if (routes.length === 0) continue;
    for (const host of hosts)
      out.push({ name: `${host}:80`, domains: [host, `${host}:80`], routes });
  }
  return out;
}

/** Envoy rejects a domain listed by two virtual hosts: the first (by name) keeps it. */
export function uniqueDomains(hosts: VirtualHostEntry[]): VirtualHostEntry[] {
  const seen = new Set<string>();
  const out: VirtualHostEntry[] = [];
  for (const h of [...hosts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const domains = h.domains.filter((d) => {
      const key = d.toLowerCase();
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (domains.length > 0) out.push({ ...h, domains });
  }
  return out;
}

export function virtualHostObject(h: VirtualHostEntry): Record<string, unknown> {
  return {
    name: h.name,
    domains: h.domains,
    routes: h.routes,
    include_request_attempt_count: true,
  };
}

export function outboundPolicy(ctx: BuildContext): 'ALLOW_ANY' | 'REGISTRY_ONLY' {
  return (
    ctx.push.sidecarFor(ctx.proxy)?.spec.outboundTrafficPolicy?.mode ??
    ctx.push.mesh.outboundTrafficPolicy
  );
}

/** The catch-all virtual host for hosts the mesh does not know. */
function catchAllHost(ctx: BuildContext): Record<string, unknown> {
  if (outboundPolicy(ctx) === 'REGISTRY_ONLY') {
    return {
      name: 'block_all',
      domains: ['*'],
      routes: [{ name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } }],
      include_request_attempt_count: true,
    };
  }
  const route = {
    cluster: PASSTHROUGH_CLUSTER,
    timeout: '0s',
    max_stream_duration: { grpc_timeout_header_max: '0s' },
  };
  return {
    name: 'allow_any',
    domains: ['*'],
    routes: [{ name: 'allow_any', match: { prefix: '/' }, route }],
    include_request_attempt_count: true,
  };
}

/**
 * Everything of the proxy a sidecar's outbound route config depends on: the
 * namespace (visibility, short host names, sourceNamespace), the DNS domain, the
 * Sidecar that scopes it, and the labels only when a visible VirtualService
 * matches on sourceLabels. Proxies that agree on these get the same object, so
 * pilot encodes it once per push (Istio caches RDS by similar keys).
 */
function routeConfigKey(ctx: BuildContext, port: number): string {
  const { proxy } = ctx;
  const labels = usesSourceLabels(ctx.push.virtualServicesForSidecar(proxy), 'all')
    ? labelsKey(proxy.labels)
    : '';
  const sidecar = identityKey(ctx.push.sidecarFor(proxy));
  return `${ctx.family}|${port}|${proxy.namespace}|${proxy.dnsDomain}|${sidecar}|${labels}`;
}

export function sidecarRouteConfiguration(ctx: BuildContext, port: number): EnvoyResource {
  return memoPerPush(ctx.push, sidecarRouteConfiguration, routeConfigKey(ctx, port), () =>
    buildRouteConfiguration(ctx, port),
  );
}

function buildRouteConfiguration(ctx: BuildContext, port: number): EnvoyResource {
  const hosts = uniqueDomains(sidecarVirtualHosts(ctx, port)).map(virtualHostObject);
  return {
    '@type': ROUTE_CONFIGURATION,
    name: String(port),
    virtual_hosts: [...hosts, catchAllHost(ctx)],
    validate_clusters: { value: false },
    max_direct_response_body_size_bytes: { value: 1024 * 1024 },
  };
}
