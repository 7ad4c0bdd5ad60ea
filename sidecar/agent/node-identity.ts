// The xDS Node a proxy presents, built the way Istio's pilot-agent builds it so
// pilot (and Istio's own istiod) can parse it: id `TYPE~IP~POD.NS~NS.svc.DOMAIN`,
// metadata keys in Istio's spelling (NAMESPACE, LABELS, INSTANCE_IPS, …), and every
// ISTIO_META_* / ISTIO_METAJSON_* environment variable copied into the metadata.
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { AgentError } from './errors.ts';

export type ProxyRole = 'sidecar' | 'router';

export interface NodeIdentityOptions {
  role?: ProxyRole;
  /** A complete node id; when set it is used as given (still checked for 4 parts). */
  nodeId?: string;
  podName?: string;
  namespace?: string;
  /** The instance IPs, first one in the node id; defaults to INSTANCE_IP, then the host's IPs. */
  ips?: string[];
  labels?: Record<string, string>;
  serviceAccount?: string;
  workloadName?: string;
  clusterId?: string;
  /** Kubernetes cluster domain, `cluster.local` unless told. */
  clusterDomain?: string;
  istioVersion?: string;
  /** Ports the agent serves, announced as Istio does (ENVOY_STATUS_PORT, ENVOY_PROMETHEUS_PORT). */
  statusPort?: number;
  prometheusPort?: number;
  env?: Readonly<Record<string, string | undefined>>;
}

/** The Node in Petrel's object form: field names as in the .proto, metadata as plain JSON. */
export interface NodeIdentity {
  id: string;
  cluster: string;
  metadata: Record<string, unknown>;
  user_agent_name: string;
  user_agent_version: string;
}

/** The Istio release whose node metadata this imitates; pilot reads ISTIO_VERSION for feature gates. */
export const DEFAULT_ISTIO_VERSION = '1.24.0';
const USER_AGENT_VERSION = '0.1.0';

function fail(message: string): never {
  throw new AgentError('PETREL_AGENT_IDENTITY', message);
}

/** Parses `k=v,k=v` (the --labels flag); an entry without `=` or with an empty key is an error. */
export function parseLabels(text: string, where = '--labels'): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const entry of text.split(',').map((s) => s.trim())) {
    if (!entry) continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) fail(`${where}: "${entry}" is not key=value`);
    labels[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return labels;
}

/** ISTIO_META_X=v → X: "v"; ISTIO_METAJSON_X={…} → X: {…} (Istio's pilot-agent convention). */
function metadataFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (key.startsWith('ISTIO_METAJSON_')) {
      try {
        out[key.slice('ISTIO_METAJSON_'.length)] = JSON.parse(value);
      } catch (err) {
        fail(`environment ${key}: not JSON (${(err as Error).message})`);
      }
    } else if (key.startsWith('ISTIO_META_')) {
      out[key.slice('ISTIO_META_'.length)] = value;
    }
  }
  return out;
}

/** The host's non-loopback addresses, IPv4 first, as pilot-agent does without INSTANCE_IP. */
function hostIps(): string[] {
  const all = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  const usable = all.filter(
    (a) => !a.internal && !(a.family === 'IPv6' && a.address.startsWith('fe80')),
  );
  const sorted = [
    ...usable.filter((a) => a.family === 'IPv4'),
    ...usable.filter((a) => a.family === 'IPv6'),
  ];
  return sorted.length > 0 ? sorted.map((a) => a.address) : ['127.0.0.1'];
}

function stringLabels(value: unknown, where: string): Record<string, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value))
    fail(`${where}: want an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') fail(`${where}.${k}: want a string, got ${typeof v}`);
    out[k] = v;
  }
  return out;
}

export function buildNodeIdentity(options: NodeIdentityOptions = {}): NodeIdentity {
  const env = options.env ?? process.env;
  const fromEnv = metadataFromEnv(env);
  const role = options.role ?? 'sidecar';
  const podName = options.podName || env.POD_NAME || hostname();
  const namespace = options.namespace || env.POD_NAMESPACE || 'default';
  const ips = options.ips?.length
    ? options.ips
    : env.INSTANCE_IP
      ? env.INSTANCE_IP.split(',')
      : hostIps();
  for (const ip of ips) if (isIP(ip.trim()) === 0) fail(`instance IP "${ip}" is not an IP address`);
  const trimmedIps = ips.map((ip) => ip.trim());
  const labels =
    options.labels ??
    (fromEnv.LABELS === undefined ? {} : stringLabels(fromEnv.LABELS, 'ISTIO_METAJSON_LABELS'));
  const serviceAccount = options.serviceAccount || env.SERVICE_ACCOUNT || undefined;
  const clusterDomain = options.clusterDomain || 'cluster.local';
  const workloadName =
    options.workloadName || stringOr(fromEnv.WORKLOAD_NAME) || labels.app || podName;
  const clusterId = options.clusterId || stringOr(fromEnv.CLUSTER_ID) || 'Kubernetes';

  const id =
    options.nodeId ||
    `${role}~${trimmedIps[0]}~${podName}.${namespace}~${namespace}.svc.${clusterDomain}`;
  if (id.split('~').length !== 4)
    fail(`node id "${id}": want TYPE~IP~POD.NAMESPACE~NAMESPACE.svc.DOMAIN`);

  const metadata: Record<string, unknown> = {
    ...fromEnv,
    NAME: podName,
    NAMESPACE: namespace,
    LABELS: labels,
    INSTANCE_IPS: trimmedIps.join(','),
    WORKLOAD_NAME: workloadName,
    CLUSTER_ID: clusterId,
    ISTIO_VERSION: options.istioVersion || stringOr(fromEnv.ISTIO_VERSION) || DEFAULT_ISTIO_VERSION,
    INTERCEPTION_MODE: stringOr(fromEnv.INTERCEPTION_MODE) || 'REDIRECT',
  };
  if (serviceAccount) metadata.SERVICE_ACCOUNT = serviceAccount;
  if (options.statusPort !== undefined) metadata.ENVOY_STATUS_PORT = options.statusPort;
  if (options.prometheusPort !== undefined) metadata.ENVOY_PROMETHEUS_PORT = options.prometheusPort;
  // GENERATOR stays absent: pilot then serves the Envoy generators, which is what this proxy consumes.
  delete metadata.GENERATOR;

  // Istio's service cluster: the canonical service (app label or workload) and the namespace.
  const canonical = labels['service.istio.io/canonical-name'] || labels.app || workloadName;
  return {
    id,
    cluster: `${canonical}.${namespace}`,
    metadata,
    user_agent_name: 'petrel',
    user_agent_version: USER_AGENT_VERSION,
  };
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' && value ? value : undefined;
}
