// The inbound side of a workload (Istio's GetProxyServiceTargets): the services
// whose endpoints are this proxy's addresses (or its pod), plus the services in
// its namespace that select it by labels but list no endpoint for it yet (a pod
// that is not ready is often missing from Endpoints; its sidecar still needs
// inbound listeners to become ready).
import type { Proxy } from './proxy.ts';
import type { Endpoint, Service, ServicePort } from './types.ts';
import type { ServiceEndpoint, ServiceIndex } from './service-registry/service-index.ts';
import type { Workload, WorkloadIndex } from './service-registry/workloads.ts';
import { makeEndpoint } from './service-registry/endpoints.ts';
import { selectorMatches } from './labels.ts';
import { deepFreeze } from './freeze.ts';

export function servicesOfProxy(
  proxy: Proxy,
  services: ServiceIndex,
  workloads: WorkloadIndex,
): readonly ServiceEndpoint[] {
  const out = new Map<string, ServiceEndpoint>();
  const add = (pair: ServiceEndpoint) => {
    const key = `${pair.service.origin}|${pair.service.hostname}|${pair.endpoint.servicePort}`;
    if (!out.has(key)) out.set(key, pair);
  };
  for (const ip of proxy.ips) for (const pair of services.byAddress(ip)) add(pair);
  if (out.size === 0 && proxy.podName)
    for (const pair of services.byPod(proxy.namespace, proxy.podName)) add(pair);

  const workload = findWorkload(proxy, workloads);
  const address = proxy.ips[0] ?? workload?.ips[0];
  if (address) {
    for (const service of services.inNamespace(proxy.namespace)) {
      if (!service.selector || !selectorMatches(service.selector, proxy.labels)) continue;
      for (const sp of service.ports) {
        if (out.has(`${service.origin}|${service.hostname}|${sp.port}`)) continue;
        const port = targetPortOf(sp, workload);
        if (port === undefined) continue;
        add({ service, endpoint: synthesized(proxy, service, sp, address, port, workload) });
      }
    }
  }
  return Object.freeze(
    [...out.values()].sort((a, b) =>
      a.service.hostname < b.service.hostname
        ? -1
        : a.service.hostname > b.service.hostname
          ? 1
          : a.endpoint.servicePort - b.endpoint.servicePort,
    ),
  );
}

function findWorkload(proxy: Proxy, workloads: WorkloadIndex): Workload | undefined {
  for (const ip of proxy.ips) {
    const w = workloads.byIp(ip);
    if (w) return w;
  }
  return proxy.podName ? workloads.byName(proxy.namespace, proxy.podName) : undefined;
}

/** A numeric targetPort, or a named one resolved through the pod's container ports (undefined when the pod lacks it). */
function targetPortOf(sp: ServicePort, workload: Workload | undefined): number | undefined {
  if (typeof sp.targetPort === 'number') return sp.targetPort;
  if (sp.targetPort === undefined) return sp.port;
  return workload?.namedPorts.get(sp.targetPort);
}

function synthesized(
  proxy: Proxy,
  service: Service,
  sp: ServicePort,
  address: string,
  port: number,
  workload: Workload | undefined,
): Endpoint {
  const ep = makeEndpoint(
    service,
    sp,
    address,
    port,
    { healthy: true, draining: false },
    workload,
    undefined,
  );
  if (!workload) {
    // No Pod object (file mode, or not yet seen): the proxy's own node metadata says who it is.
    ep.labels = { ...proxy.labels };
    ep.namespace = proxy.namespace;
    ep.podName = proxy.podName;
    if (proxy.serviceAccount) ep.serviceAccount = proxy.serviceAccount;
    if (proxy.workloadName) ep.workloadName = proxy.workloadName;
  }
  return deepFreeze(ep);
}
