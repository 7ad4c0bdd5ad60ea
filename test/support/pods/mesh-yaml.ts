// Kubernetes objects for pods of a pod network, as a file-mode config dir holds
// them: per app a Service (ClusterIP in an unrouted range, `http` port → the app
// port) and per pod a Pod with status.podIP and an EndpointSlice, so pilot knows
// which sidecar serves which service on which IP.
export interface MeshApp {
  app: string;
  version: string;
  podName: string;
  podIp: string;
  clusterIp: string;
  servicePort: number;
  targetPort: number;
  serviceAccount: string;
}

export function meshAppYaml(a: MeshApp, namespace = 'default'): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${a.app}, namespace: ${namespace}, labels: { app: ${a.app} } }
spec:
  clusterIP: ${a.clusterIp}
  selector: { app: ${a.app} }
  ports: [{ name: http, port: ${a.servicePort}, targetPort: ${a.targetPort}, protocol: TCP }]
---
apiVersion: v1
kind: Pod
metadata: { name: ${a.podName}, namespace: ${namespace}, labels: { app: ${a.app}, version: ${a.version} } }
spec:
  serviceAccountName: ${a.serviceAccount}
  containers: [{ name: ${a.app}, image: ${a.app}, ports: [{ name: http, containerPort: ${a.targetPort} }] }]
status: { podIP: ${a.podIp}, podIPs: [{ ip: ${a.podIp} }], phase: Running }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${a.podName}, namespace: ${namespace}, labels: { kubernetes.io/service-name: ${a.app} } }
addressType: IPv4
ports: [{ name: http, port: ${a.targetPort}, protocol: TCP }]
endpoints:
  - addresses: [${a.podIp}]
    conditions: { ready: true, serving: true, terminating: false }
    targetRef: { kind: Pod, namespace: ${namespace}, name: ${a.podName} }
`;
}
