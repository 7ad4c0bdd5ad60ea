// Pods as workloads: what an endpoint inherits from the pod behind it (labels,
// service account, locality, whether it runs a sidecar), indexed by IP and by
// namespace/name for the endpoint join and for servicesOfProxy.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { ConfigSnapshot } from '../../config/types.ts';
import type { Locality } from '../types.ts';
import type { ModelDiagnostic } from '../errors.ts';
import { deepFreeze } from '../freeze.ts';
import { arr, guarded } from './kube-shape.ts';

export interface Workload {
  name: string;
  namespace: string;
  ips: readonly string[];
  labels: Readonly<Record<string, string>>;
  serviceAccount?: string;
  /** Deployment-style name: the ReplicaSet owner without its pod-template-hash, else the owner, else the pod. */
  workloadName: string;
  nodeName?: string;
  /** Container ports by name, to resolve a Service's named targetPort. */
  namedPorts: ReadonlyMap<string, number>;
  tlsMode: 'istio' | 'disabled';
  /** Locality from the pod's `istio-locality` label or topology labels, then its node's; fields may be empty. */
  locality: Locality;
}

export const TLS_MODE_LABEL = 'security.istio.io/tlsMode';
export const SIDECAR_STATUS_ANNOTATION = 'sidecar.istio.io/status';
const LOCALITY_LABEL = 'istio-locality';
export const REGION_LABEL = 'topology.kubernetes.io/region';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';
export const SUBZONE_LABEL = 'topology.istio.io/subzone';

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

export class WorkloadIndex {
  readonly #byIp = new Map<string, Workload>();
  readonly #byName = new Map<string, Workload>();
  readonly #byNamespace = new Map<string, Workload[]>();

  add(w: Workload): void {
    for (const ip of w.ips) if (!this.#byIp.has(ip)) this.#byIp.set(ip, w);
    this.#byName.set(`${w.namespace}/${w.name}`, w);
    let list = this.#byNamespace.get(w.namespace);
    if (!list) this.#byNamespace.set(w.namespace, (list = []));
    list.push(w);
  }

  byIp(ip: string): Workload | undefined {
    return this.#byIp.get(ip);
  }

  byName(namespace: string, name: string): Workload | undefined {
    return this.#byName.get(`${namespace}/${name}`);
  }

  inNamespace(namespace: string): readonly Workload[] {
    return this.#byNamespace.get(namespace) ?? [];
  }
}

/** Locality from `region/zone/subzone` (ServiceEntry endpoints, Istio's istio-locality label with '.' or '/'). */
export function parseLocality(text: string | undefined): Locality {
  const [region = '', zone = '', subzone = ''] = (text ?? '').split(/[./]/);
  return { region, zone, subzone };
}

export function buildWorkloads(
  snapshot: ConfigSnapshot,
  diagnostics: ModelDiagnostic[],
): WorkloadIndex {
  const nodes = new Map<string, Readonly<Record<string, string>>>();
  for (const obj of snapshot.list('Node')) {
    const node = obj as unknown as V1Node;
    if (node.metadata?.name) nodes.set(node.metadata.name, node.metadata.labels ?? NO_LABELS);
  }
  const index = new WorkloadIndex();
  for (const obj of snapshot.list('Pod')) {
    const label = `pod ${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const w = guarded(label, diagnostics, () => workloadOf(obj as unknown as V1Pod, nodes));
    if (w) index.add(deepFreeze(w));
  }
  return index;
}

function workloadOf(
  pod: V1Pod,
  nodes: ReadonlyMap<string, Readonly<Record<string, string>>>,
): Workload | undefined {
  const name = pod.metadata?.name;
  const namespace = pod.metadata?.namespace;
  if (!name || !namespace) return undefined;
  const phase = pod.status?.phase;
  // A finished pod's IP may already belong to a new pod (Istio skips them too);
  // a host-network pod shares the node's IP with every other such pod.
  const ownsIp = phase !== 'Succeeded' && phase !== 'Failed' && !pod.spec?.hostNetwork;
  const ips = new Set<string>();
  if (ownsIp) {
    if (pod.status?.podIP) ips.add(pod.status.podIP);
    for (const p of arr(pod.status?.podIPs)) if (p.ip) ips.add(p.ip);
  }
  // Copied: the model freezes what it hands out and must not freeze the caller's objects.
  const labels = pod.metadata?.labels ? { ...pod.metadata.labels } : NO_LABELS;
  const annotations = pod.metadata?.annotations ?? {};
  const containers = [...arr(pod.spec?.containers), ...arr(pod.spec?.initContainers)];
  const namedPorts = new Map<string, number>();
  for (const c of arr(pod.spec?.containers))
    for (const p of arr(c.ports)) if (p.name) namedPorts.set(p.name, p.containerPort);
  const hasSidecar =
    containers.some((c) => c.name === 'istio-proxy') ||
    annotations[SIDECAR_STATUS_ANNOTATION] !== undefined;
  const tlsLabel = labels[TLS_MODE_LABEL];
  const tlsMode =
    tlsLabel === 'istio' || (tlsLabel === undefined && hasSidecar) ? 'istio' : 'disabled';
  const nodeName = pod.spec?.nodeName;
  return {
    name,
    namespace,
    ips: [...ips],
    labels,
    serviceAccount: pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount,
    workloadName: workloadNameOf(pod),
    nodeName,
    namedPorts,
    tlsMode,
    locality: localityOf(labels, nodeName ? nodes.get(nodeName) : undefined),
  };
}

function localityOf(
  pod: Readonly<Record<string, string>>,
  node: Readonly<Record<string, string>> | undefined,
): Locality {
  if (pod[LOCALITY_LABEL]) return parseLocality(pod[LOCALITY_LABEL]);
  return {
    region: pod[REGION_LABEL] ?? node?.[REGION_LABEL] ?? '',
    zone: pod[ZONE_LABEL] ?? node?.[ZONE_LABEL] ?? '',
    subzone: pod[SUBZONE_LABEL] ?? node?.[SUBZONE_LABEL] ?? '',
  };
}

function workloadNameOf(pod: V1Pod): string {
  const owner =
    pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  if (!owner) return pod.metadata?.name ?? '';
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`))
    return owner.name.slice(0, -hash.length - 1);
  return owner.name;
}
