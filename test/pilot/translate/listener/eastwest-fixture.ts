// YAML pieces the AUTO_PASSTHROUGH tests share (listener chains, SNI-DNAT clusters):
// an east-west gateway workload, its Gateway, and a service outside the mesh.

/** A TestProxy document: a router in istio-system labelled istio=<label>. */
export function routerProxyDoc(name: string, label: string, ip: string): string {
  return `kind: TestProxy
name: ${name}
node:
  id: router~${ip}~${name}-1.istio-system~istio-system.svc.cluster.local
  metadata: {NAMESPACE: istio-system, LABELS: {istio: ${label}}}
`;
}

/** The east-west gateway workload (istio=eastwestgateway). */
export const EASTWEST_PROXY = routerProxyDoc('eastwest', 'eastwestgateway', '10.3.0.1');

/** A Gateway `eastwest` selecting that workload, with `servers` (YAML list items, indented by two). */
export function eastwestGateway(servers: string): string {
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: eastwest, namespace: istio-system}
spec:
  selector: {istio: eastwestgateway}
  servers:
${servers}`;
}

/** One AUTO_PASSTHROUGH server item for eastwestGateway. */
export function autoPassthroughServer(hosts: string, port = 15443, name = 'tls'): string {
  return `  - port: {number: ${port}, name: ${name}, protocol: TLS}
    hosts: ${hosts}
    tls: {mode: AUTO_PASSTHROUGH}
`;
}

/** A MESH_EXTERNAL ServiceEntry for `host` on a TLS port: never an SNI-DNAT target. */
export function externalServiceEntry(host: string): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: external, namespace: default}
spec:
  hosts: [${host}]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: tls, protocol: TLS}]
`;
}
