// Kubernetes objects for HTTP backends in a file-mode config dir: the same shapes
// as the echo backends' (test/support/echo/mesh-yaml.ts), with an http port.
import { workloadsYaml } from '../echo/mesh-yaml.ts';

export interface HttpWorkload {
  version: string;
  port: number;
}

export function httpWorkloadsYaml(
  app: string,
  servicePort: number,
  workloads: HttpWorkload[],
  namespace = 'default',
): string {
  return workloadsYaml(app, servicePort, workloads, {
    namespace,
    portName: 'http',
    clusterIpPrefix: '10.96.9',
  });
}
