// The benchmark's mesh, written as a config dir of YAML files: N services spread
// over namespaces, 3 endpoints each (two v1 pods, one v2 pod), and per service a
// VirtualService (header match, weighted subsets, retries, timeout) and a
// DestinationRule (subsets, connection pool, outlier detection).
//
// Two equivalent forms: 'kube' (Service + Pods + EndpointSlice, what pilot reads
// from a cluster) and 'serviceentry' (one MESH_INTERNAL ServiceEntry per service
// with the same hosts, ports and labelled endpoints), because Istio's
// pilot-discovery in file mode reads only Istio kinds.
//
// Each service has its own two files, so an edit touches one small file:
//   <ns>.<svc>.workload.yaml  (Service, Pods, EndpointSlice | ServiceEntry)
//   <ns>.<svc>.routing.yaml   (VirtualService, DestinationRule)
// All in one flat directory, as a `kubectl get -o yaml` dump per object would be.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type InputMode = 'kube' | 'serviceentry';

export interface MeshShape {
  services: number;
  namespaces: number;
  mode: InputMode;
}

export interface ServiceRef {
  index: number;
  name: string;
  namespace: string;
  port: number;
  portName: string;
  host: string;
}

/** Two HTTP ports, so sidecars get two outbound listeners and two route configs, as in a mixed mesh. */
const PORTS = [
  { port: 9080, name: 'http' },
  { port: 8080, name: 'http-web' },
] as const;

export function namespaceName(i: number): string {
  return `ns-${String(i).padStart(2, '0')}`;
}

export function serviceRef(shape: MeshShape, index: number): ServiceRef {
  const namespace = namespaceName(index % shape.namespaces);
  const name = `svc-${String(index).padStart(4, '0')}`;
  const p = PORTS[index % PORTS.length]!;
  return {
    index,
    name,
    namespace,
    port: p.port,
    portName: p.name,
    host: `${name}.${namespace}.svc.cluster.local`,
  };
}

/** Pod IP of endpoint `e` (0..2) of service `i`: 10.<1+i/250>.<i%250>.<10+e>, unique per service. */
function podIp(index: number, e: number): string {
  return `10.${1 + Math.floor(index / 250)}.${index % 250}.${10 + e}`;
}

function clusterIp(index: number): string {
  return `10.96.${Math.floor(index / 250)}.${1 + (index % 250)}`;
}

/** A fixed-width marker, so a search for one revision's marker never matches another's. */
export function routeMarker(rev: number): string {
  return `bench-r${String(rev).padStart(5, '0')}x`;
}

/** A replacement address for the first endpoint at edit `rev`: in 10.250.0.0/15, never a pod IP. */
export function movedAddress(rev: number): string {
  return `10.${250 + Math.floor(rev / 65536)}.${Math.floor(rev / 256) % 256}.${rev % 256}`;
}

const ENDPOINTS = [
  { version: 'v1', suffix: 'v1-0' },
  { version: 'v1', suffix: 'v1-1' },
  { version: 'v2', suffix: 'v2-0' },
] as const;

function kubeWorkloadYaml(s: ServiceRef, firstAddress: string): string {
  const docs: string[] = [];
  docs.push(`apiVersion: v1
kind: Service
metadata: { name: ${s.name}, namespace: ${s.namespace}, labels: { app: ${s.name} } }
spec:
  clusterIP: ${clusterIp(s.index)}
  selector: { app: ${s.name} }
  ports: [{ name: ${s.portName}, port: ${s.port}, targetPort: ${s.port} }]`);
  ENDPOINTS.forEach((e, i) => {
    docs.push(`apiVersion: v1
kind: Pod
metadata:
  name: ${s.name}-${e.suffix}
  namespace: ${s.namespace}
  labels: { app: ${s.name}, version: ${e.version}, security.istio.io/tlsMode: istio }
spec:
  serviceAccountName: ${s.name}
  containers: [{ name: app, image: bench/app, ports: [{ name: ${s.portName}, containerPort: ${s.port} }] }]
status: { podIP: ${podIp(s.index, i)}, phase: Running }`);
  });
  const endpoints = ENDPOINTS.map(
    (e, i) => `  - addresses: [${i === 0 ? firstAddress : podIp(s.index, i)}]
    conditions: { ready: true, serving: true, terminating: false }
    targetRef: { kind: Pod, namespace: ${s.namespace}, name: ${s.name}-${e.suffix} }`,
  ).join('\n');
  docs.push(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: ${s.name}-abcde
  namespace: ${s.namespace}
  labels: { kubernetes.io/service-name: ${s.name} }
addressType: IPv4
ports: [{ name: ${s.portName}, port: ${s.port}, protocol: TCP }]
endpoints:
${endpoints}`);
  return docs.join('\n---\n') + '\n';
}

function serviceEntryYaml(s: ServiceRef, firstAddress: string): string {
  const endpoints = ENDPOINTS.map(
    (e, i) =>
      `    - { address: ${i === 0 ? firstAddress : podIp(s.index, i)}, labels: { app: ${s.name}, version: ${e.version} }, serviceAccount: ${s.name} }`,
  ).join('\n');
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${s.name}, namespace: ${s.namespace} }
spec:
  hosts: [${s.host}]
  addresses: [${clusterIp(s.index)}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: ${s.port}, name: ${s.portName}, protocol: HTTP }]
  endpoints:
${endpoints}
`;
}

function routingYaml(s: ServiceRef, marker: string): string {
  // Hosts are FQDNs so the same file means the same thing to both pilots in
  // ServiceEntry mode (a short name resolves against the rule's namespace).
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${s.name}, namespace: ${s.namespace} }
spec:
  hosts: [${s.host}]
  http:
    - match:
        - headers: { end-user: { exact: ${marker} } }
      route:
        - destination: { host: ${s.host}, subset: v2 }
    - route:
        - destination: { host: ${s.host}, subset: v1 }
          weight: 90
        - destination: { host: ${s.host}, subset: v2 }
          weight: 10
      timeout: 2s
      retries: { attempts: 3, perTryTimeout: 0.5s, retryOn: '5xx,connect-failure' }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ${s.name}, namespace: ${s.namespace} }
spec:
  host: ${s.host}
  trafficPolicy:
    connectionPool:
      tcp: { maxConnections: 100, connectTimeout: 5s }
      http: { http1MaxPendingRequests: 64, http2MaxRequests: 256, maxRequestsPerConnection: 100 }
    outlierDetection: { consecutive5xxErrors: 5, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50 }
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
`;
}

function workloadPath(dir: string, s: ServiceRef): string {
  return join(dir, `${s.namespace}.${s.name}.workload.yaml`);
}

function routingPath(dir: string, s: ServiceRef): string {
  return join(dir, `${s.namespace}.${s.name}.routing.yaml`);
}

/**
 * Rewrites a file in place (one write of a few hundred bytes). Not write-then-
 * rename: Node 24's recursive fs.watch on Linux, which Petrel's file source
 * uses, reports an atomic replace of an existing file only the first time, so
 * later renames would wait for the source's 5 s rescan (see bench/README.md).
 */
function replaceFile(path: string, text: string): void {
  writeFileSync(path, text);
}

export function workloadYaml(
  shape: MeshShape,
  s: ServiceRef,
  firstAddress = podIp(s.index, 0),
): string {
  return shape.mode === 'kube'
    ? kubeWorkloadYaml(s, firstAddress)
    : serviceEntryYaml(s, firstAddress);
}

/** Writes the whole mesh under `dir`; returns the services. */
export function writeMesh(dir: string, shape: MeshShape): ServiceRef[] {
  const services: ServiceRef[] = [];
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < shape.services; i++) {
    const s = serviceRef(shape, i);
    services.push(s);
    writeFileSync(workloadPath(dir, s), workloadYaml(shape, s));
    writeFileSync(routingPath(dir, s), routingYaml(s, routeMarker(0)));
  }
  return services;
}

/** A change every sidecar sees: the header match value of one VirtualService (in its route config). */
export function editRoute(dir: string, s: ServiceRef, rev: number): string {
  const marker = routeMarker(rev);
  replaceFile(routingPath(dir, s), routingYaml(s, marker));
  return marker;
}

/** An endpoint change: the first (v1) endpoint of `s` moves to a new address. */
export function editEndpoint(dir: string, shape: MeshShape, s: ServiceRef, rev: number): string {
  const address = movedAddress(rev);
  replaceFile(workloadPath(dir, s), workloadYaml(shape, s, address));
  return address;
}

/** The clusters whose endpoints include the first endpoint of `s` (the default one and subset v1). */
export function clustersOfFirstEndpoint(s: ServiceRef): string[] {
  return [`outbound|${s.port}||${s.host}`, `outbound|${s.port}|v1|${s.host}`];
}
