// Finished requests as the data path records them, for driving telemetry without a
// proxy: a real RequestRecord with the fields a routed request has by completion.
import { RequestRecord } from '../../../../sidecar/proxy/record.ts';
import type { RecordExtras, TelemetryRecord } from '../../../../sidecar/telemetry/record.ts';
import type { WorkloadInfo } from '../../../../sidecar/telemetry/workload.ts';

export interface RecordSpec extends Partial<RecordExtras> {
  listener?: string;
  protocol?: string;
  method?: string;
  authority?: string;
  path?: string;
  requestId?: string;
  userAgent?: string;
  routeName?: string;
  cluster?: string;
  upstreamHost?: string;
  code?: number;
  details?: string;
  grpcStatus?: number;
  flags?: string;
  bytesReceived?: number;
  bytesSent?: number;
  duration?: number;
  upstreamServiceTime?: number;
  startTime?: number;
  remote?: [string, number];
  local?: [string, number];
}

export function record(spec: RecordSpec): TelemetryRecord {
  const rec = new RequestRecord(
    spec.listener ?? 'virtualInbound',
    spec.protocol ?? 'HTTP/1.1',
    0,
  ) as TelemetryRecord;
  if (spec.startTime !== undefined) (rec as { startTime: number }).startTime = spec.startTime;
  rec.method = spec.method ?? (spec.protocol === 'TCP' ? '' : 'GET');
  rec.authority = spec.authority ?? '';
  rec.path = spec.path ?? (spec.protocol === 'TCP' ? '' : '/');
  rec.requestId = spec.requestId ?? '';
  rec.userAgent = spec.userAgent ?? '';
  rec.routeName = spec.routeName ?? '';
  rec.upstreamCluster = spec.cluster ?? '';
  rec.upstreamHost = spec.upstreamHost ?? '';
  rec.responseCode = spec.code ?? 0;
  rec.responseCodeDetails = spec.details ?? '';
  rec.grpcStatus = spec.grpcStatus;
  rec.flags = spec.flags ?? '';
  rec.bytesReceived = spec.bytesReceived ?? 0;
  rec.bytesSent = spec.bytesSent ?? 0;
  rec.duration = spec.duration ?? 0;
  rec.upstreamServiceTime = spec.upstreamServiceTime;
  [rec.downstreamRemoteAddress, rec.downstreamRemotePort] = spec.remote ?? ['10.0.0.9', 40000];
  [rec.downstreamLocalAddress, rec.downstreamLocalPort] = spec.local ?? ['10.0.0.5', 9080];
  for (const k of [
    'direction',
    'grpc',
    'forwardedFor',
    'originalPath',
    'operationName',
    'upstreamLocalAddress',
    'requestedServerName',
    'wireBytesReceived',
    'wireBytesSent',
    'peerPrincipal',
    'localPrincipal',
    'peer',
  ] as const) {
    if (spec[k] !== undefined) (rec as unknown as Record<string, unknown>)[k] = spec[k];
  }
  return rec;
}

/** Node metadata as the agent sends it for a bookinfo pod. */
export function nodeMetadata(
  app: string,
  version: string,
  namespace = 'default',
): Record<string, unknown> {
  return {
    NAME: `${app}-${version}-7d9f8c-abcde`,
    NAMESPACE: namespace,
    WORKLOAD_NAME: `${app}-${version}`,
    OWNER: `kubernetes://apis/apps/v1/namespaces/${namespace}/deployments/${app}-${version}`,
    CLUSTER_ID: 'Kubernetes',
    ISTIO_VERSION: '1.24.0',
    SERVICE_ACCOUNT: `bookinfo-${app}`,
    LABELS: {
      app,
      version,
      'service.istio.io/canonical-name': app,
      'service.istio.io/canonical-revision': version,
    },
  };
}

export function nodeId(app: string, ip: string, namespace = 'default'): string {
  return `sidecar~${ip}~${app}-7d9f8c-abcde.${namespace}~${namespace}.svc.cluster.local`;
}

export const PRODUCTPAGE: WorkloadInfo = {
  instanceName: 'productpage-v1-7d9f8c-abcde',
  namespace: 'default',
  workloadName: 'productpage-v1',
  workloadType: 'deployment',
  clusterId: 'Kubernetes',
  canonicalService: 'productpage',
  canonicalRevision: 'v1',
  app: 'productpage',
  version: 'v1',
  serviceAccount: 'bookinfo-productpage',
};
