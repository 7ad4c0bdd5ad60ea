// Envoy-like sidecar identities for the simulated proxies: Istio's node id
// `sidecar~IP~POD.NS~NS.svc.cluster.local` plus the metadata istio-agent sends.
// Client pods belong to no service (like Istio's load-test "sleep" clients), so
// every proxy sees the same outbound config and no inbound listeners.
import { namespaceName } from './mesh-input.ts';

export interface BenchNode {
  id: string;
  cluster: string;
  metadata: Record<string, unknown>;
}

/** Client IPs live in 10.200.0.0/14, apart from every service's pod IPs. */
function clientIp(k: number): string {
  return `10.${200 + Math.floor(k / 65536)}.${Math.floor(k / 256) % 256}.${k % 256}`;
}

/** Proxy k sits in namespace k mod `namespaces`. */
export function sidecarNode(k: number, namespaces: number): BenchNode {
  const ns = namespaceName(k % namespaces);
  const pod = `bench-client-${k}`;
  const ip = clientIp(k);
  return {
    id: `sidecar~${ip}~${pod}.${ns}~${ns}.svc.cluster.local`,
    cluster: `bench-client.${ns}`,
    metadata: {
      NAMESPACE: ns,
      INSTANCE_IPS: ip,
      LABELS: { app: 'bench-client' },
      CLUSTER_ID: 'Kubernetes',
      ISTIO_VERSION: '1.28.0',
      SERVICE_ACCOUNT: 'bench-client',
      WORKLOAD_NAME: 'bench-client',
      POD_PORTS: '[]',
      PROXY_CONFIG: {},
    },
  };
}
