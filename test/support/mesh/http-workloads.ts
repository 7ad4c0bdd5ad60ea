// Kubernetes objects for HTTP backends in a file-mode config dir: a Service with
// an http port, one Pod + EndpointSlice per version, and version subsets.

export interface HttpWorkload {
  version: string;
  port: number;
}

export function httpWorkloadsYaml(app: string, servicePort: number, workloads: HttpWorkload[], namespace = 'default'): string {
  const docs = [
    `apiVersion: v1
kind: Service
metadata: { name: ${app}, namespace: ${namespace}, labels: { app: ${app} } }
spec:
  clusterIP: 10.96.9.${servicePort % 250}
  selector: { app: ${app} }
  ports: [{ name: http, port: ${servicePort}, targetPort: http }]`,
    `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ${app}, namespace: ${namespace} }
spec:
  host: ${app}
  subsets:
${workloads.map((w) => `    - { name: ${w.version}, labels: { version: ${w.version} } }`).join('\n')}`,
  ];
  for (const w of workloads) {
    const pod = `${app}-${w.version}`;
    docs.push(`apiVersion: v1
kind: Pod
metadata: { name: ${pod}, namespace: ${namespace}, labels: { app: ${app}, version: ${w.version} } }
spec:
  serviceAccountName: ${app}
  containers: [{ name: ${app}, image: ${app}, ports: [{ name: http, containerPort: ${w.port} }] }]
status: { podIP: 127.0.0.1, phase: Running }`);
    docs.push(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${pod}, namespace: ${namespace}, labels: { kubernetes.io/service-name: ${app} } }
addressType: IPv4
ports: [{ name: http, port: ${w.port}, protocol: TCP }]
endpoints:
  - addresses: [127.0.0.1]
    conditions: { ready: true, serving: true, terminating: false }
    targetRef: { kind: Pod, namespace: ${namespace}, name: ${pod} }`);
  }
  return docs.join('\n---\n') + '\n';
}
