// Kubernetes objects (Service, Pods, EndpointSlices) and a DestinationRule with
// version subsets for a set of echo backends, as a file-mode config dir holds them.

export interface EchoWorkload {
  version: string;
  port: number;
  host?: string;
}

/** Service, DestinationRule subsets, Pods and EndpointSlices for `app`; `portName` sets the protocol (grpc, http). */
export function workloadsYaml(
  app: string,
  servicePort: number,
  workloads: EchoWorkload[],
  options: { namespace?: string; portName?: string; clusterIpPrefix?: string } = {},
): string {
  const namespace = options.namespace ?? 'default';
  const portName = options.portName ?? 'grpc';
  const clusterIpPrefix = options.clusterIpPrefix ?? '10.96.7';
  const docs: string[] = [
    `apiVersion: v1
kind: Service
metadata: { name: ${app}, namespace: ${namespace}, labels: { app: ${app} } }
spec:
  clusterIP: ${clusterIpPrefix}.${servicePort % 250}
  selector: { app: ${app} }
  ports: [{ name: ${portName}, port: ${servicePort}, targetPort: ${portName} }]`,
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
  containers: [{ name: ${app}, image: ${app}, ports: [{ name: ${portName}, containerPort: ${w.port} }] }]
status: { podIP: ${ip}, phase: Running }`);
    docs.push(`apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${pod}, namespace: ${namespace}, labels: { kubernetes.io/service-name: ${app} } }
addressType: IPv4
ports: [{ name: ${portName}, port: ${w.port}, protocol: TCP }]
endpoints:
  - addresses: [${ip}]
    conditions: { ready: true, serving: true, terminating: false }
    targetRef: { kind: Pod, namespace: ${namespace}, name: ${pod} }`);
  }
  return docs.join('\n---\n') + '\n';
}

/** gRPC echo backends (port named grpc). */
export function echoWorkloadsYaml(
  app: string,
  servicePort: number,
  workloads: EchoWorkload[],
  namespace = 'default',
): string {
  return workloadsYaml(app, servicePort, workloads, { namespace });
}

/** Routes for the echo service: a header match to v2, a fault abort on a header, else 80/20 between v1 and v3. */
export const ECHO_ROUTES = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: echo, namespace: default }
spec:
  hosts: [echo]
  http:
    - match: [{ headers: { end-user: { exact: jason } } }]
      route: [{ destination: { host: echo, subset: v2 } }]
    - match: [{ headers: { x-fault: { exact: abort } } }]
      fault: { abort: { httpStatus: 503, percentage: { value: 100 } } }
      route: [{ destination: { host: echo, subset: v1 } }]
    - route:
        - { destination: { host: echo, subset: v1 }, weight: 80 }
        - { destination: { host: echo, subset: v3 }, weight: 20 }
`;

/** The edit the live-reroute tests make: everything to v3. */
export const ECHO_ALL_TO_V3 = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: echo, namespace: default }
spec:
  hosts: [echo]
  http:
    - route: [{ destination: { host: echo, subset: v3 } }]
`;

/** An invalid edit: pilot must report it and keep the last good routes. */
export const ECHO_INVALID_WEIGHT = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: echo, namespace: default }
spec:
  hosts: [echo]
  http:
    - route: [{ destination: { host: echo, subset: v1 }, weight: 150 }]
`;
