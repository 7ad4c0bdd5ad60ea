// Endpoints of Kubernetes Services from EndpointSlices (falling back to core
// Endpoints when a service has no slices), joined with the pod behind each
// address for labels, service account, locality and sidecar presence.
import type { V1EndpointSlice, V1Endpoints, V1ObjectReference } from '@kubernetes/client-node';
import type { ConfigSnapshot } from '../../config/types.ts';
import type { Endpoint, Locality, Service, ServicePort } from '../types.ts';
import type { Workload, WorkloadIndex } from './workloads.ts';
import { arr } from './kube-shape.ts';

/** Endpoints of one service, by service port number. */
export type PortEndpoints = Map<number, Endpoint[]>;

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const NO_LOCALITY: Locality = Object.freeze({ region: '', zone: '', subzone: '' });

/** Collects endpoints per service port, dropping duplicates (one address may appear in two slices while they are rebalanced). */
export class EndpointCollector {
  readonly byPort: PortEndpoints = new Map();
  readonly #seen = new Set<string>();

  add(ep: Endpoint): void {
    const key = `${ep.servicePort}|${ep.address}|${ep.port}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    let list = this.byPort.get(ep.servicePort);
    if (!list) this.byPort.set(ep.servicePort, (list = []));
    list.push(ep);
  }
}

interface Health {
  healthy: boolean;
  draining: boolean;
}

/**
 * EndpointSlice conditions → Envoy health: ready (unset means ready) is HEALTHY;
 * a terminating endpoint that still serves is DRAINING (no new requests, open
 * ones finish); anything else is UNHEALTHY.
 */
export function sliceHealth(
  c: { ready?: boolean; serving?: boolean; terminating?: boolean } | undefined,
): Health {
  const healthy = c?.ready ?? true;
  return { healthy, draining: !healthy && c?.terminating === true && (c?.serving ?? true) };
}

/** Builds one Endpoint, inheriting what the pod behind it knows. */
export function makeEndpoint(
  svc: Service,
  sp: ServicePort,
  address: string,
  port: number,
  health: Health,
  w: Workload | undefined,
  zone: string | undefined,
): Endpoint {
  const ep: Endpoint = {
    address,
    port,
    servicePort: sp.port,
    servicePortName: sp.name,
    labels: w?.labels ?? NO_LABELS,
    healthy: health.healthy,
    draining: health.draining,
    locality: w
      ? w.locality.zone || !zone
        ? w.locality
        : { ...w.locality, zone }
      : zone
        ? { region: '', zone, subzone: '' }
        : NO_LOCALITY,
    namespace: w?.namespace ?? svc.namespace,
    tlsMode: w?.tlsMode ?? 'disabled',
  };
  if (w?.serviceAccount) ep.serviceAccount = w.serviceAccount;
  if (w) {
    ep.workloadName = w.workloadName;
    ep.podName = w.name;
  }
  return ep;
}

function workloadFor(
  workloads: WorkloadIndex,
  ref: V1ObjectReference | undefined,
  defaultNs: string,
  address: string,
): Workload | undefined {
  if (ref?.kind === 'Pod' && ref.name) {
    const w = workloads.byName(ref.namespace ?? defaultNs, ref.name);
    if (w) return w;
  }
  return workloads.byIp(address);
}

/** Slices grouped by `namespace/service-name`. */
export function groupSlices(snapshot: ConfigSnapshot): Map<string, V1EndpointSlice[]> {
  const out = new Map<string, V1EndpointSlice[]>();
  for (const obj of snapshot.list('EndpointSlice')) {
    const slice = obj as unknown as V1EndpointSlice;
    const svcName = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    // FQDN slices carry names, not addresses; Istio ignores them too.
    if (!svcName || !slice.metadata?.namespace || slice.addressType === 'FQDN') continue;
    const key = `${slice.metadata.namespace}/${svcName}`;
    let list = out.get(key);
    if (!list) out.set(key, (list = []));
    list.push(slice);
  }
  return out;
}

/** Every endpoint of one Kubernetes Service. */
export function kubeServiceEndpoints(
  svc: Service,
  slices: readonly V1EndpointSlice[] | undefined,
  snapshot: ConfigSnapshot,
  workloads: WorkloadIndex,
): PortEndpoints {
  const out = new EndpointCollector();
  if (svc.externalName) {
    // Clients reach an ExternalName service at the external name, same port.
    for (const sp of svc.ports)
      out.add(
        makeEndpoint(
          svc,
          sp,
          svc.externalName,
          sp.port,
          { healthy: true, draining: false },
          undefined,
          undefined,
        ),
      );
    return out.byPort;
  }
  if (slices && slices.length > 0) {
    for (const slice of slices) addSlice(out, svc, slice, workloads);
  } else {
    const core = snapshot.get('Endpoints', svc.namespace, svc.name) as unknown as
      V1Endpoints | undefined;
    if (core) addCoreEndpoints(out, svc, core, workloads);
  }
  return out.byPort;
}

/** Slice ports carry the Service port's name with the resolved target port number. */
function portsByName(
  ports: readonly { name?: string; port?: number }[] | undefined,
): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of arr(ports)) if (p.port !== undefined) m.set(p.name ?? '', p.port);
  return m;
}

function addSlice(
  out: EndpointCollector,
  svc: Service,
  slice: V1EndpointSlice,
  workloads: WorkloadIndex,
): void {
  const ports = portsByName(slice.ports);
  for (const sp of svc.ports) {
    const target = ports.get(sp.name);
    if (target === undefined) continue;
    for (const e of arr(slice.endpoints)) {
      const health = sliceHealth(e.conditions);
      for (const address of arr(e.addresses)) {
        const w = workloadFor(workloads, e.targetRef, svc.namespace, address);
        out.add(makeEndpoint(svc, sp, address, target, health, w, e.zone));
      }
    }
  }
}

function addCoreEndpoints(
  out: EndpointCollector,
  svc: Service,
  core: V1Endpoints,
  workloads: WorkloadIndex,
): void {
  for (const subset of arr(core.subsets)) {
    const ports = portsByName(subset.ports);
    for (const sp of svc.ports) {
      const target = ports.get(sp.name);
      if (target === undefined) continue;
      for (const [list, healthy] of [
        [subset.addresses, true],
        [subset.notReadyAddresses, false],
      ] as const) {
        for (const a of arr(list)) {
          const w = workloadFor(workloads, a.targetRef, svc.namespace, a.ip);
          out.add(makeEndpoint(svc, sp, a.ip, target, { healthy, draining: false }, w, undefined));
        }
      }
    }
  }
}
