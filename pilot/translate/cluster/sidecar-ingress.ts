// The inbound side a Sidecar's `ingress` listeners declare, as Istio builds it
// (pilot/pkg/networking/core cluster_builder buildInboundClusters and
// listener_inbound buildInboundChainConfigs): one entry per ingress port, the first
// listener on a port wins; the workload behind it is `defaultEndpoint`
// (127.0.0.1:P → localhost, 0.0.0.0:P → the instance IP, unix:///path → a socket,
// unset → the original destination); the port binds for real when its captureMode
// (or the proxy's interception mode) says NONE, on `bind` or the instance IP.
import type { Proxy } from '../../model/proxy.ts';
import { parseProtocol } from '../../model/protocol.ts';
import type { Endpoint, Service, Sidecar } from '../../model/types.ts';
import {
  LOCALHOST_IPV4,
  LOCALHOST_IPV6,
  bindsToPort,
  localhostAddress,
} from '../common/interception.ts';
import { splitHostPort } from '../common/names.ts';
import type { BuildContext } from './context.ts';
import type { InboundPort, InboundUpstream } from './inbound.ts';

const UNIX_PREFIX = 'unix://';

/** Where `defaultEndpoint` sends inbound traffic, for this proxy. */
export function defaultEndpointUpstream(
  defaultEndpoint: string | undefined,
  proxy: Proxy,
): InboundUpstream {
  if (!defaultEndpoint) return undefined;
  if (defaultEndpoint.startsWith(UNIX_PREFIX))
    return { pipe: defaultEndpoint.slice(UNIX_PREFIX.length) };
  const { host, port } = splitHostPort(defaultEndpoint);
  if (port === undefined) return undefined;
  const v4 = proxy.ips.find((ip) => !ip.includes(':'));
  const v6 = proxy.ips.find((ip) => ip.includes(':'));
  if (host === '0.0.0.0') return { address: v4 ?? LOCALHOST_IPV4, port };
  if (host === '::') return { address: v6 ?? LOCALHOST_IPV6, port };
  if (host === LOCALHOST_IPV6) return { address: LOCALHOST_IPV6, port };
  return { address: localhostAddress(proxy), port };
}

/** Istio names the service of an ingress port no Service selects after the Sidecar. */
function syntheticService(sidecar: Sidecar): Service {
  const name = sidecar.metadata.name;
  const namespace = sidecar.metadata.namespace ?? 'default';
  return {
    hostname: `${name}.${namespace}`,
    name,
    namespace,
    ports: [],
    addresses: [],
    resolution: 'STATIC',
    meshExternal: false,
    exportTo: ['*'],
    labels: {},
    headless: false,
    source: 'kubernetes',
    origin: `Sidecar/${namespace}/${name}`,
  };
}

function syntheticEndpoint(proxy: Proxy, port: number, portName: string): Endpoint {
  return {
    address: proxy.ips[0] ?? '',
    port,
    servicePort: port,
    servicePortName: portName,
    labels: proxy.labels,
    healthy: true,
    draining: false,
    locality: { region: '', zone: '', subzone: '' },
    namespace: proxy.namespace,
    tlsMode: 'istio',
  };
}

export function sidecarIngressPorts(ctx: BuildContext, sidecar: Sidecar): InboundPort[] {
  const { proxy } = ctx;
  // By hostname, so the first service by name wins a port several select.
  const instances = [...ctx.push.servicesOfProxy(proxy)].sort((a, b) =>
    a.service.hostname < b.service.hostname ? -1 : 1,
  );
  const byPort = new Map<number, InboundPort>();
  for (const ingress of sidecar.spec.ingress ?? []) {
    const number = ingress.port.number;
    if (byPort.has(number)) continue;
    const portName = ingress.port.name ?? '';
    const instance = instances.find((i) => i.endpoint.port === number);
    const bound = bindsToPort(ingress.captureMode, proxy);
    byPort.set(number, {
      port: number,
      service: instance?.service ?? syntheticService(sidecar),
      endpoint: instance
        ? { ...instance.endpoint, servicePort: number, servicePortName: portName }
        : syntheticEndpoint(proxy, number, portName),
      servicePort: { name: portName, port: number, protocol: parseProtocol(ingress.port.protocol) },
      upstream: defaultEndpointUpstream(ingress.defaultEndpoint, proxy),
      bind: bound ? (ingress.bind ?? proxy.ips[0] ?? '0.0.0.0') : undefined,
    });
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}
