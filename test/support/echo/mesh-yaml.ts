// Kubernetes objects (Service, Pods, EndpointSlices) and a DestinationRule with
// version subsets for a set of echo backends, as a file-mode config dir holds them.

export interface EchoWorkload {
  version: string;
  port: number;
  host?: string;
}

export function echoWorkloadsYaml(app: string, servicePort: number, workloads: EchoWorkload[], namespace = 'default'): string {
  const docs: string[] = [
    `apiVersion: v1
kind: Service
metadata: { name: ${app}, namespace: ${namespace}, labels: { app: ${app} } }
spec:
  clusterIP: 10.96.7.${servicePort % 250}
  selector: { app: ${app} }
  ports: [{ name: grpc, port: ${servicePort}, targetPort: grpc }]`,
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
    const ip = w.host ?? '127.0.0.1';
    docs.push(`apiVersion: v1
kind: Pod
metadata: { name: ${pod}, namespace: ${namespace}, labels: { app: ${app}, version: ${w.version} } }
spec:
  serviceAccountName: ${app}
  containers: [{ name: ${app}, image: echo, ports: [{ name: grpc, containerPort: ${w.port} }] }]
status: { podIP: ${ip}, phase: Running }`);
    docs.push(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${pod}, namespace: ${namespace}, labels: { kubernetes.io/service-name: ${app} } }
addressType: IPv4
ports: [{ name: grpc, port: ${w.port}, protocol: TCP }]
endpoints:
  - addresses: [${ip}]
    conditions: { ready: true, serving: true, terminating: false }
    targetRef: { kind: Pod, namespace: ${namespace}, name: ${pod} }`);
  }
  return docs.join('\n---\n') + '\n';
}
