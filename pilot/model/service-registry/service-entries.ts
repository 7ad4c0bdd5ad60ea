// ServiceEntries → the service model: one Service per host, sharing the entry's
// ports, addresses and endpoints (Istio's serviceentry conversion).
import type { ServiceEntrySpec, WorkloadEntrySpec } from '../../../api/istio/index.ts';
import type { ConfigObject } from '../../../api/config/object.ts';
import type { MeshConfig, Resolution, Service, ServicePort } from '../types.ts';
import { parseProtocol } from '../protocol.ts';
import { normalizeExportTo } from '../visibility.ts';
import { selectorMatches } from '../labels.ts';
import { isWildcardHost } from '../hosts.ts';
import { EndpointCollector, makeEndpoint, type PortEndpoints } from './endpoints.ts';
import { TLS_MODE_LABEL, parseLocality, type WorkloadIndex } from './workloads.ts';

const RESOLUTION: Record<string, Resolution> = {
  NONE: 'PASSTHROUGH',
  STATIC: 'STATIC',
  DNS: 'DNS',
  DNS_ROUND_ROBIN: 'DNS_ROUND_ROBIN',
};

export interface ServiceEntryServices {
  services: Service[];
  /** Endpoints per service (same order as `services`). */
  endpoints: PortEndpoints[];
}

export function convertServiceEntry(
  obj: ConfigObject,
  mesh: MeshConfig,
  workloads: WorkloadIndex,
): ServiceEntryServices {
  const spec = obj.spec as ServiceEntrySpec;
  const namespace = obj.metadata.namespace ?? 'default';
  const name = obj.metadata.name;
  const ports: ServicePort[] = (spec.ports ?? []).map((p) => ({
    name: p.name,
    port: p.number,
    targetPort: p.targetPort ?? p.number,
    protocol: parseProtocol(p.protocol),
  }));
  const resolution = RESOLUTION[spec.resolution ?? 'NONE'] ?? 'PASSTHROUGH';
  const exportTo = normalizeExportTo(
    spec.exportTo,
    namespace,
    mesh.defaultServiceExportTo ?? ['*'],
  );
  const selector =
    spec.workloadSelector?.labels && Object.keys(spec.workloadSelector.labels).length > 0
      ? { ...spec.workloadSelector.labels }
      : undefined;
  const out: ServiceEntryServices = { services: [], endpoints: [] };
  for (const host of new Set(spec.hosts)) {
    const svc: Service = {
      hostname: host,
      name: host,
      namespace,
      ports,
      addresses: [...(spec.addresses ?? [])],
      resolution,
      // MESH_EXTERNAL is the API's default (enum value 0).
      meshExternal: (spec.location ?? 'MESH_EXTERNAL') === 'MESH_EXTERNAL',
      exportTo,
      labels: { ...(obj.metadata.labels ?? {}) },
      selector,
      headless: false,
      source: 'serviceentry',
      origin: `ServiceEntry/${namespace}/${name}`,
    };
    out.services.push(svc);
    out.endpoints.push(entryEndpoints(svc, spec, workloads));
  }
  return out;
}

function entryEndpoints(
  svc: Service,
  spec: ServiceEntrySpec,
  workloads: WorkloadIndex,
): PortEndpoints {
  const out = new EndpointCollector();
  const healthy = { healthy: true, draining: false };
  if (spec.endpoints && spec.endpoints.length > 0) {
    for (const we of spec.endpoints) {
      // Unix domain socket endpoints are for the local proxy only; nothing to route to by address.
      if (!we.address || we.address.startsWith('unix://')) continue;
      for (const sp of svc.ports) out.add(workloadEntryEndpoint(svc, sp, we));
    }
  } else if (svc.selector) {
    for (const w of workloads.inNamespace(svc.namespace)) {
      if (w.ips.length === 0 || !selectorMatches(svc.selector, w.labels)) continue;
      for (const sp of svc.ports) {
        out.add(makeEndpoint(svc, sp, w.ips[0]!, numericTarget(sp), healthy, w, undefined));
      }
    }
  } else if (
    (svc.resolution === 'DNS' || svc.resolution === 'DNS_ROUND_ROBIN') &&
    !isWildcardHost(svc.hostname)
  ) {
    // Without endpoints a DNS entry resolves its own host name.
    for (const sp of svc.ports)
      out.add(
        makeEndpoint(svc, sp, svc.hostname, numericTarget(sp), healthy, undefined, undefined),
      );
  }
  return out.byPort;
}

function numericTarget(sp: ServicePort): number {
  return typeof sp.targetPort === 'number' ? sp.targetPort : sp.port;
}

function workloadEntryEndpoint(svc: Service, sp: ServicePort, we: WorkloadEntrySpec) {
  const ep = makeEndpoint(
    svc,
    sp,
    we.address!,
    we.ports?.[sp.name] ?? numericTarget(sp),
    { healthy: true, draining: false },
    undefined,
    undefined,
  );
  ep.labels = { ...(we.labels ?? {}) };
  ep.locality = parseLocality(we.locality);
  ep.tlsMode = we.labels?.[TLS_MODE_LABEL] === 'istio' ? 'istio' : 'disabled';
  if (we.serviceAccount) ep.serviceAccount = we.serviceAccount;
  if (we.weight) ep.weight = we.weight;
  return ep;
}
