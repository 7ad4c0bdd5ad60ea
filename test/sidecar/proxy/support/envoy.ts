// Builders for the Envoy resources the data-path tests feed to the DataPlane. Each
// resource goes through the proto registry (encode + decode), so the tests hand the
// data path exactly what the agent would after decoding a real xDS response.
import { normalizeResource, TypeUrl, validateResource } from '../../../../api/envoy/registry.ts';
import type { EnvoyResource } from '../../../../sidecar/types.ts';
import { ProxyDataPlane, type DataPlaneOptions } from '../../../../sidecar/proxy/data-plane.ts';

export { TypeUrl };

type Obj = Record<string, unknown>;

export const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const ROUTER = {
  name: 'envoy.filters.http.router',
  typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' },
};
export const TCP_PROXY =
  'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

/** Canonical object form; throws with the registry's message when the object is not valid Envoy. */
export function canonical(r: EnvoyResource): EnvoyResource {
  const problems = validateResource(r);
  if (problems.length > 0) throw new Error(`invalid test resource: ${problems.join('; ')}`);
  return normalizeResource(r);
}

export function httpListener(name: string, hcm: Obj, port = 0, extra: Obj = {}): EnvoyResource {
  return {
    '@type': TypeUrl.Listener,
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: { '@type': HCM, stat_prefix: name, http_filters: [ROUTER], ...hcm },
          },
        ],
      },
    ],
    ...extra,
  };
}

export function tcpListener(name: string, tcp: Obj, port = 0): EnvoyResource {
  return {
    '@type': TypeUrl.Listener,
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.tcp_proxy',
            typed_config: { '@type': TCP_PROXY, stat_prefix: name, ...tcp },
          },
        ],
      },
    ],
  };
}

export function routeConfig(name: string, virtualHosts: Obj[], extra: Obj = {}): EnvoyResource {
  return { '@type': TypeUrl.RouteConfiguration, name, virtual_hosts: virtualHosts, ...extra };
}

export function vhost(name: string, domains: string[], routes: Obj[], extra: Obj = {}): Obj {
  return { name, domains, routes, ...extra };
}

export function toCluster(cluster: string, prefix = '/', extra: Obj = {}): Obj {
  return { match: { prefix }, route: { cluster, ...extra } };
}

export function endpoints(
  clusterName: string,
  addrs: Array<
    | [string, number]
    | {
        address: string;
        port: number;
        weight?: number;
        health?: string;
        locality?: Obj;
        priority?: number;
      }
  >,
): Obj {
  const lbEndpoints = addrs.map((a) => {
    const e = Array.isArray(a) ? { address: a[0], port: a[1] } : a;
    return {
      endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
      ...('weight' in e && e.weight !== undefined
        ? { load_balancing_weight: { value: e.weight } }
        : {}),
      ...('health' in e && e.health !== undefined ? { health_status: e.health } : {}),
    };
  });
  return { cluster_name: clusterName, endpoints: [{ lb_endpoints: lbEndpoints }] };
}

export function staticCluster(
  name: string,
  addrs: Parameters<typeof endpoints>[1],
  extra: Obj = {},
): EnvoyResource {
  return {
    '@type': TypeUrl.Cluster,
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: endpoints(name, addrs),
    ...extra,
  };
}

export function edsCluster(name: string, extra: Obj = {}): EnvoyResource {
  return {
    '@type': TypeUrl.Cluster,
    name,
    type: 'EDS',
    connect_timeout: '1s',
    eds_cluster_config: { eds_config: { ads: {} } },
    ...extra,
  };
}

export function cla(name: string, addrs: Parameters<typeof endpoints>[1]): EnvoyResource {
  return { '@type': TypeUrl.ClusterLoadAssignment, ...endpoints(name, addrs) };
}

export const HTTP2_OPTIONS = {
  typed_extension_protocol_options: {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      explicit_http_config: { http2_protocol_options: {} },
    },
  },
};

function byName(list: EnvoyResource[], key = 'name'): Map<string, EnvoyResource> {
  return new Map(
    list.map((r) => {
      const c = canonical(r);
      return [String(c[key] ?? (c as Obj).cluster_name), c];
    }),
  );
}

/** Applies one xDS type; returns the error lines. */
export async function apply(
  dp: ProxyDataPlane,
  typeUrl: string,
  list: EnvoyResource[],
): Promise<string[]> {
  const key = typeUrl === TypeUrl.ClusterLoadAssignment ? 'cluster_name' : 'name';
  return (await dp.applyConfigAsync(typeUrl, byName(list, key))).errors;
}

export interface ProxyConfig {
  clusters?: EnvoyResource[];
  assignments?: EnvoyResource[];
  routes?: EnvoyResource[];
  listeners: EnvoyResource[];
}

/** Applies a whole config in Envoy's warming order, failing on any error line. */
export async function configure(dp: ProxyDataPlane, cfg: ProxyConfig): Promise<void> {
  const steps: Array<[string, EnvoyResource[] | undefined]> = [
    [TypeUrl.Cluster, cfg.clusters],
    [TypeUrl.ClusterLoadAssignment, cfg.assignments],
    [TypeUrl.RouteConfiguration, cfg.routes],
    [TypeUrl.Listener, cfg.listeners],
  ];
  for (const [t, list] of steps) {
    if (!list) continue;
    const errors = await apply(dp, t, list);
    if (errors.length > 0) throw new Error(`config rejected: ${errors.join('\n')}`);
  }
}

export async function startProxy(
  cfg: ProxyConfig,
  options: DataPlaneOptions = {},
): Promise<{
  dp: ProxyDataPlane;
  port: (listener?: string) => number;
  url: (path?: string, listener?: string) => string;
}> {
  const dp = new ProxyDataPlane(options);
  await configure(dp, cfg);
  const first = String((cfg.listeners[0] as Obj).name);
  const port = (l = first): number => dp.listenerAddress(l)!.port;
  return { dp, port, url: (path = '/', l = first) => `http://127.0.0.1:${port(l)}${path}` };
}
