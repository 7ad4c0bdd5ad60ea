// The label text of Istio's standard metrics for one (reporter, peer, destination
// service, principals) combination, in the order istio/proxy's stats filter pushes
// its tags, with its fallbacks: `unknown` for anything not known, `latest` for an
// unknown peer's canonical revision. Built once per combination and cached by the
// caller, never per request.
import type { DestinationService } from './destination-service.ts';
import { escapeLabelValue } from './prometheus-text.ts';
import type { TrafficDirection } from './record.ts';
import type { WorkloadInfo } from './workload.ts';

const UNKNOWN = 'unknown';

function or(v: string | undefined, fallback: string): string {
  return v ? v : fallback;
}

/** The namespace in a SPIFFE principal `<domain>/ns/<namespace>/sa/<account>`. */
export function namespaceFromPrincipal(principal: string): string {
  const at = principal.indexOf('/ns/');
  if (at < 0) return '';
  const start = at + 4;
  const end = principal.indexOf('/', start);
  return end < 0 ? principal.slice(start) : principal.slice(start, end);
}

export interface LabelInputs {
  direction: TrafficDirection;
  local: WorkloadInfo;
  /** The other side, from metadata exchange or endpoint metadata; null when unknown. */
  peer: WorkloadInfo | null;
  service: DestinationService;
  /** URI SANs of the mTLS connection ('' without). */
  peerPrincipal: string;
  localPrincipal: string;
}

export interface BaseLabels {
  /** reporter … destination_cluster as `k="v",…`. */
  text: string;
  /** connection_security_policy: mutual_tls / none on the server side, unknown on the client side. */
  securityPolicy: string;
}

export function buildBaseLabels(i: LabelInputs): BaseLabels {
  const { local, peer, service } = i;
  const peerNamespace = namespaceFromPrincipal(i.peerPrincipal) || peer?.namespace || '';
  const pairs: Array<[string, string]> = [];
  if (i.direction === 'inbound') {
    pairs.push(
      ['reporter', 'destination'],
      ['source_workload', or(peer?.workloadName, UNKNOWN)],
      ['source_canonical_service', or(peer?.canonicalService, UNKNOWN)],
      ['source_canonical_revision', or(peer?.canonicalRevision, 'latest')],
      ['source_workload_namespace', or(peerNamespace, UNKNOWN)],
      ['source_principal', or(i.peerPrincipal, UNKNOWN)],
      ['source_app', or(peer?.app, UNKNOWN)],
      ['source_version', or(peer?.version, UNKNOWN)],
      ['source_cluster', or(peer?.clusterId, UNKNOWN)],
      ['destination_workload', or(local.workloadName, UNKNOWN)],
      ['destination_workload_namespace', or(local.namespace, UNKNOWN)],
      ['destination_principal', or(i.localPrincipal, UNKNOWN)],
      ['destination_app', or(local.app, UNKNOWN)],
      ['destination_version', or(local.version, UNKNOWN)],
      ['destination_service', or(service.host, or(local.canonicalService, UNKNOWN))],
      ['destination_canonical_service', or(local.canonicalService, UNKNOWN)],
      ['destination_canonical_revision', or(local.canonicalRevision, 'latest')],
      ['destination_service_name', or(service.name, or(local.canonicalService, UNKNOWN))],
      ['destination_service_namespace', or(local.namespace, UNKNOWN)],
      ['destination_cluster', or(local.clusterId, UNKNOWN)],
    );
  } else {
    pairs.push(
      ['reporter', 'source'],
      ['source_workload', or(local.workloadName, UNKNOWN)],
      ['source_canonical_service', or(local.canonicalService, UNKNOWN)],
      ['source_canonical_revision', or(local.canonicalRevision, 'latest')],
      ['source_workload_namespace', or(local.namespace, UNKNOWN)],
      ['source_principal', or(i.localPrincipal, UNKNOWN)],
      ['source_app', or(local.app, UNKNOWN)],
      ['source_version', or(local.version, UNKNOWN)],
      ['source_cluster', or(local.clusterId, UNKNOWN)],
      ['destination_workload', or(peer?.workloadName, UNKNOWN)],
      ['destination_workload_namespace', or(peerNamespace, UNKNOWN)],
      ['destination_principal', or(i.peerPrincipal, UNKNOWN)],
      ['destination_app', or(peer?.app, UNKNOWN)],
      ['destination_version', or(peer?.version, UNKNOWN)],
      ['destination_service', or(service.host, UNKNOWN)],
      ['destination_canonical_service', or(peer?.canonicalService, UNKNOWN)],
      ['destination_canonical_revision', or(peer?.canonicalRevision, 'latest')],
      ['destination_service_name', or(service.name, UNKNOWN)],
      ['destination_service_namespace', or(peerNamespace, UNKNOWN)],
      ['destination_cluster', or(peer?.clusterId, UNKNOWN)],
    );
  }
  const securityPolicy =
    i.direction === 'inbound'
      ? i.peerPrincipal && i.localPrincipal
        ? 'mutual_tls'
        : 'none'
      : UNKNOWN;
  return { text: pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(','), securityPolicy };
}

/** request_protocol … connection_security_policy for an HTTP series. */
export function httpSuffix(
  grpc: boolean,
  responseCode: number,
  grpcStatus: number | undefined,
  flags: string,
  securityPolicy: string,
): string {
  const status = grpc && grpcStatus !== undefined ? String(grpcStatus) : '';
  return (
    `request_protocol="${grpc ? 'grpc' : 'http'}",response_code="${responseCode}",` +
    `grpc_response_status="${status}",response_flags="${escapeLabelValue(flags || '-')}",` +
    `connection_security_policy="${securityPolicy}"`
  );
}

/** request_protocol, response_flags, connection_security_policy for a TCP series. */
export function tcpSuffix(flags: string, securityPolicy: string): string {
  return `request_protocol="tcp",response_flags="${escapeLabelValue(flags || '-')}",connection_security_policy="${securityPolicy}"`;
}
