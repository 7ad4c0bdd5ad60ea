// A connected proxy as pilot sees it, parsed from the xDS Node (id + metadata)
// the way Istio does, so Envoy bootstraps written for Istio work unchanged.

export type ProxyType = 'sidecar' | 'router';

/** Which family of generators serves this proxy. */
export type ProxyGenerator = 'envoy' | 'grpc';

export interface Proxy {
  /** The full xDS node id, `sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local`. */
  id: string;
  type: ProxyType;
  generator: ProxyGenerator;
  ips: string[];
  /** `pod.ns` part of the id: pod name (or gateway name) . namespace */
  podName: string;
  namespace: string;
  dnsDomain: string;
  labels: Record<string, string>;
  serviceAccount?: string;
  workloadName?: string;
  clusterId: string;
  /** Every metadata field as sent, for generators that need more. */
  metadata: Record<string, unknown>;
}

export class ProxyIdError extends Error {
  readonly code = 'PETREL_PROXY_ID';
}

/** The xDS Node in plain-object form (field names as in the .proto). */
export interface XdsNode {
  id?: string;
  cluster?: string;
  metadata?: Record<string, unknown>;
}

function stringRecord(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === 'string') out[k] = v;
  return out;
}

/**
 * Parses Istio's node id `TYPE~IP~POD.NAMESPACE~NAMESPACE.svc.DOMAIN` plus metadata.
 * Metadata wins over the id where both say something (NAMESPACE, INSTANCE_IPS).
 */
export function parseProxy(node: XdsNode): Proxy {
  const id = node.id ?? '';
  const parts = id.split('~');
  if (parts.length !== 4) {
    throw new ProxyIdError(
      `node id "${id}": want TYPE~IP~POD.NAMESPACE~DOMAIN (4 parts separated by ~)`,
    );
  }
  const [typeText, ip, podDotNs, domain] = parts as [string, string, string, string];
  if (typeText !== 'sidecar' && typeText !== 'router') {
    throw new ProxyIdError(`node id "${id}": type "${typeText}" is not sidecar or router`);
  }
  const metadata = node.metadata ?? {};
  const dot = podDotNs.lastIndexOf('.');
  const podName = dot < 0 ? podDotNs : podDotNs.slice(0, dot);
  const idNamespace = dot < 0 ? '' : podDotNs.slice(dot + 1);
  const namespace =
    typeof metadata.NAMESPACE === 'string' && metadata.NAMESPACE ? metadata.NAMESPACE : idNamespace;
  if (!namespace)
    throw new ProxyIdError(`node id "${id}": no namespace in the id or metadata NAMESPACE`);
  const metaIps =
    typeof metadata.INSTANCE_IPS === 'string'
      ? metadata.INSTANCE_IPS.split(',').filter(Boolean)
      : [];
  const ips = metaIps.length > 0 ? metaIps : ip ? [ip] : [];
  const dnsDomain = domain.startsWith(`${namespace}.`)
    ? domain.slice(namespace.length + 1)
    : domain;
  return {
    id,
    type: typeText,
    generator: metadata.GENERATOR === 'grpc' ? 'grpc' : 'envoy',
    ips,
    podName,
    namespace,
    dnsDomain: dnsDomain || 'svc.cluster.local',
    labels: stringRecord(metadata.LABELS),
    serviceAccount:
      typeof metadata.SERVICE_ACCOUNT === 'string' ? metadata.SERVICE_ACCOUNT : undefined,
    workloadName: typeof metadata.WORKLOAD_NAME === 'string' ? metadata.WORKLOAD_NAME : undefined,
    clusterId: typeof metadata.CLUSTER_ID === 'string' ? metadata.CLUSTER_ID : 'Kubernetes',
    metadata,
  };
}
