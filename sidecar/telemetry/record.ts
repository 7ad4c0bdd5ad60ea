// What telemetry reads from a finished request: the data path's RequestRecord, plus
// fields the data path does not fill yet. Each extra is optional and has a fallback,
// so telemetry works on today's records and gets exact once the data path sets them
// (declaring them as class fields on RequestRecord keeps its shape fixed).
import type { RequestRecord } from '../proxy/record.ts';
import type { WorkloadInfo } from './workload.ts';

export type TrafficDirection = 'inbound' | 'outbound';

export interface RecordExtras {
  /** Listener.traffic_direction; without it the cluster name (`inbound|…`) decides. */
  direction: TrafficDirection | '';
  /** content-type application/grpc*; without it a grpc-status in the response decides. */
  grpc: boolean;
  /** Request headers Envoy's access log reads: x-forwarded-for, x-envoy-original-path. */
  forwardedFor: string;
  originalPath: string;
  /** route.decorator.operation (the span name when set). */
  operationName: string;
  /** "ip:port" of the upstream connection's local end. */
  upstreamLocalAddress: string;
  /** SNI of the downstream TLS connection. */
  requestedServerName: string;
  upstreamTransportFailureReason: string;
  connectionTerminationDetails: string;
  /** Headers and body on the wire (Istio's request/response size histograms count both); body bytes otherwise. */
  wireBytesReceived: number;
  wireBytesSent: number;
  /** URI SANs of the mTLS connection: the peer's and our own ('' without mTLS). */
  peerPrincipal: string;
  localPrincipal: string;
  /** Set by telemetry: the peer learned from the metadata exchange (null: sent but undecodable). */
  peer: WorkloadInfo | null | undefined;
  /** Set by telemetry: the request's span, when sampled. */
  span: unknown;
}

export type TelemetryRecord = RequestRecord & Partial<RecordExtras>;

export function directionOf(rec: TelemetryRecord): TrafficDirection {
  const d = rec.direction;
  if (d === 'inbound' || d === 'outbound') return d;
  const c = rec.upstreamCluster;
  return c.startsWith('inbound|') || c.startsWith('InboundPassthroughCluster')
    ? 'inbound'
    : 'outbound';
}

export function isGrpc(rec: TelemetryRecord): boolean {
  return rec.grpc ?? rec.grpcStatus !== undefined;
}
