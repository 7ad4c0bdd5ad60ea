// Builders for the Kubernetes and Istio objects the model tests feed in, and a
// snapshot filled through the real MemoryConfigStore (Istio specs validated by
// api/istio/validate.ts first, as the sources do).
import type { ConfigObject } from '../../../api/config/object.ts';
import { validateConfig } from '../../../api/istio/validate.ts';
import { MemoryConfigStore } from '../../../pilot/config/memory-store.ts';
import type { ConfigSnapshot } from '../../../pilot/config/types.ts';
import { parseProxy, type Proxy } from '../../../pilot/model/proxy.ts';
import { buildPushContext } from '../../../pilot/model/push-context.ts';
import type { MeshConfig, PushContext } from '../../../pilot/model/types.ts';

type Meta = {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
};

function meta(name: string, namespace: string | undefined, extra: Partial<Meta> = {}): Meta {
  return { name, ...(namespace ? { namespace } : {}), ...extra };
}

export function snapshotOf(objects: ConfigObject[]): ConfigSnapshot {
  const store = new MemoryConfigStore();
  for (const obj of objects) {
    if (obj.apiVersion.includes('istio.io')) {
      const result = validateConfig(obj);
      if (result.errors.length > 0) throw new Error(`fixture invalid: ${result.errors.join('; ')}`);
      store.upsert(result.object);
    } else store.upsert(obj);
  }
  return store.snapshot();
}

export function push(objects: ConfigObject[], mesh?: Partial<MeshConfig>): PushContext {
  return buildPushContext(snapshotOf(objects), { mesh });
}

export interface PortSpec {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

export function service(
  name: string,
  namespace: string,
  ports: PortSpec[],
  extra: Record<string, unknown> = {},
  m: Partial<Meta> = {},
): ConfigObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name, namespace, m),
    spec: { selector: { app: name }, clusterIP: '10.96.0.10', ports, ...extra },
  };
}

export interface SliceEndpoint {
  ip: string;
  pod?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
  zone?: string;
  nodeName?: string;
}

export function endpointSlice(
  service: string,
  namespace: string,
  ports: { name?: string; port: number }[],
  endpoints: SliceEndpoint[],
  suffix = 'abc',
): ConfigObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: meta(`${service}-${suffix}`, namespace, {
      labels: { 'kubernetes.io/service-name': service },
    }),
    addressType: 'IPv4',
    ports: ports.map((p) => ({ protocol: 'TCP', ...p })),
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: {
        ready: e.ready ?? true,
        serving: e.serving ?? e.ready ?? true,
        terminating: e.terminating ?? false,
      },
      ...(e.pod ? { targetRef: { kind: 'Pod', name: e.pod, namespace } } : {}),
      ...(e.zone ? { zone: e.zone } : {}),
      ...(e.nodeName ? { nodeName: e.nodeName } : {}),
    })),
  };
}

export interface PodSpec {
  ip: string;
  labels?: Record<string, string>;
  serviceAccount?: string;
  sidecar?: boolean;
  annotations?: Record<string, string>;
  nodeName?: string;
  ports?: { name: string; containerPort: number }[];
  owner?: { kind: string; name: string };
}

export function pod(name: string, namespace: string, p: PodSpec): ConfigObject {
  const containers: Record<string, unknown>[] = [
    { name: 'app', image: 'app', ports: p.ports ?? [] },
  ];
  if (p.sidecar) containers.push({ name: 'istio-proxy', image: 'proxy' });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...meta(name, namespace, {
        labels: p.labels ?? {},
        ...(p.annotations ? { annotations: p.annotations } : {}),
      }),
      ...(p.owner
        ? { ownerReferences: [{ apiVersion: 'apps/v1', controller: true, uid: 'u', ...p.owner }] }
        : {}),
    },
    spec: {
      containers,
      serviceAccountName: p.serviceAccount ?? 'default',
      ...(p.nodeName ? { nodeName: p.nodeName } : {}),
    },
    status: { phase: 'Running', podIP: p.ip, podIPs: [{ ip: p.ip }] },
  };
}

export function node(name: string, labels: Record<string, string>): ConfigObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: meta(name, undefined, { labels }) };
}

export function namespaceObj(name: string): ConfigObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: meta(name, undefined) };
}

function istio(
  kind: string,
  name: string,
  namespace: string,
  spec: unknown,
  m: Partial<Meta> = {},
): ConfigObject {
  return { apiVersion: 'networking.istio.io/v1', kind, metadata: meta(name, namespace, m), spec };
}

export const serviceEntry = (name: string, ns: string, spec: unknown, m?: Partial<Meta>) =>
  istio('ServiceEntry', name, ns, spec, m);
export const virtualService = (name: string, ns: string, spec: unknown, m?: Partial<Meta>) =>
  istio('VirtualService', name, ns, spec, m);
export const destinationRule = (name: string, ns: string, spec: unknown, m?: Partial<Meta>) =>
  istio('DestinationRule', name, ns, spec, m);
export const gateway = (name: string, ns: string, spec: unknown, m?: Partial<Meta>) =>
  istio('Gateway', name, ns, spec, m);
export const sidecar = (name: string, ns: string, spec: unknown, m?: Partial<Meta>) =>
  istio('Sidecar', name, ns, spec, m);

export function sidecarProxy(
  namespace: string,
  opts: { ip?: string; pod?: string; labels?: Record<string, string> } = {},
): Proxy {
  const ip = opts.ip ?? '10.1.0.99';
  return parseProxy({
    id: `sidecar~${ip}~${opts.pod ?? 'client'}.${namespace}~${namespace}.svc.cluster.local`,
    metadata: { LABELS: opts.labels ?? {} },
  });
}

export function routerProxy(
  namespace: string,
  labels: Record<string, string>,
  ip = '10.1.0.200',
): Proxy {
  return parseProxy({
    id: `router~${ip}~gw.${namespace}~${namespace}.svc.cluster.local`,
    metadata: { LABELS: labels },
  });
}

/** Hostnames of a service list, for compact assertions. */
export const hostnames = (services: readonly { hostname: string }[]) =>
  services.map((s) => s.hostname);
