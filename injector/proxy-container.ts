// `istio-proxy`: the sidecar container running `petrel proxy --role sidecar`,
// with the environment Istio's agent reads (downward API identity, ISTIO_META_*)
// so the node identity pilot sees is the one Istio would build.
import type { PodSettings } from './annotations.ts';
import type { InjectorConfig } from './config.ts';
import { PORTS, PROXY_CONTAINER, PROXY_GID, PROXY_UID } from './names.ts';
import type { Container, EnvVar, Pod } from './pod-types.ts';
import type { Prober } from './probes.ts';
import { sidecarVolumeMounts } from './volumes.ts';
import { ownerUri, type Workload } from './workload.ts';

export interface ProxyContainerInput {
  pod: Pod;
  namespace: string;
  config: InjectorConfig;
  settings: PodSettings;
  workload: Workload;
  /** ISTIO_KUBE_APP_PROBERS; empty when no probe was rewritten. */
  probers: Record<string, Prober>;
  /** The app's own prometheus.io/* settings, for the agent's metrics merging. */
  appScrape?: Record<string, string>;
  clusterId: string;
  network?: string;
  /** A Kubernetes native sidecar: an init container with restartPolicy Always. */
  native: boolean;
}

const fieldRef = (name: string, fieldPath: string): EnvVar => ({
  name,
  valueFrom: { fieldRef: { fieldPath } },
});
const value = (name: string, v: string): EnvVar => ({ name, value: v });

function proxyEnv(i: ProxyContainerInput): EnvVar[] {
  const apps = i.pod.spec.containers.filter((c) => c.name !== PROXY_CONTAINER);
  const ports = apps.flatMap((c) => c.ports ?? []);
  const env: EnvVar[] = [
    value('PILOT_CERT_PROVIDER', 'istiod'),
    value('CA_ADDR', i.config.xdsAddress),
    fieldRef('POD_NAME', 'metadata.name'),
    fieldRef('POD_NAMESPACE', 'metadata.namespace'),
    fieldRef('INSTANCE_IP', 'status.podIP'),
    fieldRef('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
    fieldRef('HOST_IP', 'status.hostIP'),
    { name: 'ISTIO_CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
    value('PROXY_CONFIG', JSON.stringify(i.settings.proxyConfig)),
    value('ISTIO_META_POD_PORTS', JSON.stringify(ports)),
    value('ISTIO_META_APP_CONTAINERS', apps.map((c) => c.name).join(',')),
    value('ISTIO_META_CLUSTER_ID', i.clusterId),
    fieldRef('ISTIO_META_NODE_NAME', 'spec.nodeName'),
    value('ISTIO_META_INTERCEPTION_MODE', i.settings.capture.mode),
  ];
  if (i.network) env.push(value('ISTIO_META_NETWORK', i.network));
  env.push(
    value('ISTIO_META_WORKLOAD_NAME', i.workload.name),
    value('ISTIO_META_OWNER', ownerUri(i.workload, i.namespace)),
    value('ISTIO_META_MESH_ID', i.config.meshId),
    value('TRUST_DOMAIN', i.config.trustDomain),
  );
  if (Object.keys(i.probers).length)
    env.push(value('ISTIO_KUBE_APP_PROBERS', JSON.stringify(i.probers)));
  if (i.appScrape && Object.keys(i.appScrape).length)
    env.push(value('ISTIO_PROMETHEUS_ANNOTATIONS', JSON.stringify(i.appScrape)));
  return env;
}

const readyGet = { httpGet: { path: '/healthz/ready', port: PORTS.health } };

export function proxyContainer(i: ProxyContainerInput): Container {
  const tproxy = i.settings.capture.mode === 'TPROXY';
  const container: Container = {
    name: PROXY_CONTAINER,
    image: i.settings.image,
    args: ['proxy', '--role', 'sidecar', '--xds-address', i.config.xdsAddress],
    ports: [{ containerPort: PORTS.stats, protocol: 'TCP', name: 'http-envoy-prom' }],
    env: proxyEnv(i),
    readinessProbe: {
      ...readyGet,
      initialDelaySeconds: 0,
      periodSeconds: 15,
      timeoutSeconds: 3,
      failureThreshold: 4,
    },
    // Istio's default startup probe: fast polling until the first config is in, up to 10 minutes.
    startupProbe: {
      ...readyGet,
      initialDelaySeconds: 0,
      periodSeconds: 1,
      timeoutSeconds: 3,
      failureThreshold: 600,
    },
    resources: structuredClone(i.settings.resources),
    securityContext: {
      allowPrivilegeEscalation: false,
      // TPROXY needs to bind non-local addresses (IP_TRANSPARENT), hence root with NET_ADMIN.
      capabilities: tproxy ? { add: ['NET_ADMIN'], drop: ['ALL'] } : { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsGroup: PROXY_GID,
      runAsNonRoot: !tproxy,
      runAsUser: tproxy ? 0 : PROXY_UID,
    },
    volumeMounts: sidecarVolumeMounts(),
  };
  if (i.native) {
    // The kubelet starts later init containers and the app only once the startup probe passes.
    container.restartPolicy = 'Always';
  } else if (i.settings.holdApplicationUntilProxyStarts) {
    // The kubelet starts the next container only after postStart returns: `wait` blocks until ready.
    container.lifecycle = { postStart: { exec: { command: ['petrel', 'proxy', 'wait'] } } };
  }
  return container;
}
