// Who a proxy (or its peer) is, in the terms Istio's telemetry uses: workload,
// namespace, canonical service and revision, app and version, cluster id. The local
// one comes from the xDS node metadata the agent sends (NAME, NAMESPACE, LABELS,
// WORKLOAD_NAME, CLUSTER_ID, …); a peer's from the metadata exchange headers.

/** Labels with a meaning to Istio's telemetry (istio/proxy extensions/common/metadata_object.h). */
export const CANONICAL_NAME_LABEL = 'service.istio.io/canonical-name';
export const CANONICAL_REVISION_LABEL = 'service.istio.io/canonical-revision';
const APP_LABEL = 'app';
const APP_QUALIFIED_LABEL = 'app.kubernetes.io/name';
const VERSION_LABEL = 'version';
const VERSION_QUALIFIED_LABEL = 'app.kubernetes.io/version';

/** The Kubernetes workload kinds Istio encodes in OWNER (`…/namespaces/<ns>/<kind>s/<name>`). */
export type WorkloadType = 'pod' | 'deployment' | 'job' | 'cronjob' | '';

/** One workload's identity; '' where unknown. Immutable and shared: caches key on its identity. */
export interface WorkloadInfo {
  readonly instanceName: string;
  readonly namespace: string;
  readonly workloadName: string;
  readonly workloadType: WorkloadType;
  readonly clusterId: string;
  readonly canonicalService: string;
  readonly canonicalRevision: string;
  readonly app: string;
  readonly version: string;
  /** Not part of Istio's exchange; Petrel peers send it (Istio proxies ignore unknown keys). */
  readonly serviceAccount: string;
}

export const OWNER_PREFIX = 'kubernetes://apis/apps/v1/namespaces/';

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function labelsOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  }
  return out;
}

/** The workload kind from OWNER, as istio/proxy's parseOwner reads it. */
export function workloadTypeFromOwner(owner: string, workload: string): WorkloadType {
  if (owner.length <= workload.length + 2) return '';
  const head = owner.slice(0, owner.length - workload.length - 2);
  const kind = head.slice(head.lastIndexOf('/') + 1);
  return kind === 'pod' || kind === 'deployment' || kind === 'job' || kind === 'cronjob'
    ? kind
    : '';
}

export function ownerOf(w: WorkloadInfo): string {
  return w.workloadType === ''
    ? ''
    : `${OWNER_PREFIX}${w.namespace}/${w.workloadType}s/${w.workloadName}`;
}

/**
 * The local workload from the node metadata. Canonical service and revision fall
 * back the way Istio's injector derives them when the pod has no canonical labels
 * (canonical-name → app.kubernetes.io/name → app → workload; revision →
 * app.kubernetes.io/version → version → "latest").
 */
export function workloadFromNodeMetadata(
  metadata: Readonly<Record<string, unknown>>,
): WorkloadInfo {
  const labels = labelsOf(metadata.LABELS);
  const workloadName = str(metadata.WORKLOAD_NAME);
  const owner = str(metadata.OWNER);
  return {
    instanceName: str(metadata.NAME),
    namespace: str(metadata.NAMESPACE),
    workloadName,
    workloadType: workloadTypeFromOwner(owner, workloadName),
    clusterId: str(metadata.CLUSTER_ID),
    canonicalService:
      labels[CANONICAL_NAME_LABEL] ||
      labels[APP_QUALIFIED_LABEL] ||
      labels[APP_LABEL] ||
      workloadName,
    canonicalRevision:
      labels[CANONICAL_REVISION_LABEL] ||
      labels[VERSION_QUALIFIED_LABEL] ||
      labels[VERSION_LABEL] ||
      'latest',
    app: labels[APP_LABEL] || labels[APP_QUALIFIED_LABEL] || '',
    version: labels[VERSION_LABEL] || labels[VERSION_QUALIFIED_LABEL] || '',
    serviceAccount: str(metadata.SERVICE_ACCOUNT),
  };
}

/**
 * A peer's workload from the exchanged Struct (istio/proxy convertStructToWorkloadMetadata):
 * only the canonical labels and app/version are read from LABELS.
 */
export function workloadFromPeerStruct(fields: Readonly<Record<string, unknown>>): WorkloadInfo {
  const labels = labelsOf(fields.LABELS);
  const workloadName = str(fields.WORKLOAD_NAME);
  return {
    instanceName: str(fields.NAME),
    namespace: str(fields.NAMESPACE),
    workloadName,
    workloadType: workloadTypeFromOwner(str(fields.OWNER), workloadName),
    clusterId: str(fields.CLUSTER_ID),
    canonicalService: labels[CANONICAL_NAME_LABEL] ?? '',
    canonicalRevision: labels[CANONICAL_REVISION_LABEL] ?? '',
    app: labels[APP_LABEL] ?? '',
    version: labels[VERSION_LABEL] ?? '',
    serviceAccount: str(fields.SERVICE_ACCOUNT),
  };
}

/**
 * The Struct a proxy sends about itself (istio/proxy convertWorkloadMetadataToStruct):
 * NAME, NAMESPACE, WORKLOAD_NAME, CLUSTER_ID, LABELS with the four telemetry
 * labels, OWNER when the kind is known; empty values are left out.
 */
export function workloadToPeerStruct(w: WorkloadInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (w.instanceName) out.NAME = w.instanceName;
  if (w.namespace) out.NAMESPACE = w.namespace;
  if (w.workloadName) out.WORKLOAD_NAME = w.workloadName;
  if (w.clusterId) out.CLUSTER_ID = w.clusterId;
  const labels: Record<string, string> = {};
  if (w.canonicalService) labels[CANONICAL_NAME_LABEL] = w.canonicalService;
  if (w.canonicalRevision) labels[CANONICAL_REVISION_LABEL] = w.canonicalRevision;
  if (w.app) labels[APP_LABEL] = w.app;
  if (w.version) labels[VERSION_LABEL] = w.version;
  out.LABELS = labels;
  const owner = ownerOf(w);
  if (owner) out.OWNER = owner;
  if (w.serviceAccount) out.SERVICE_ACCOUNT = w.serviceAccount;
  return out;
}

/**
 * Istio's endpoint telemetry metadata (`istio.workload` in EDS endpoint metadata):
 * `workload;namespace;canonical-service;canonical-revision;cluster-id`. The client
 * side falls back to it when the server did not answer with peer metadata.
 */
export function workloadFromEndpointMetadata(encoded: string): WorkloadInfo | undefined {
  const parts = encoded.split(';');
  if (parts.length < 5) return undefined;
  return {
    instanceName: '',
    namespace: parts[1]!,
    workloadName: parts[0]!,
    workloadType: '',
    clusterId: parts[4]!,
    canonicalService: parts[2]!,
    canonicalRevision: parts[3]!,
    app: '',
    version: '',
    serviceAccount: '',
  };
}
