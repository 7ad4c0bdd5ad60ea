// The per-request (or per-connection, for TCP) facts that telemetry reads: one small
// object of fixed shape, filled in as the request goes, handed to the
// onRequestComplete hook when it ends. Metrics, access logs and tracing plug in
// there without touching the request path.
import type { ConnectionInfo } from './http/request-context.ts';

/** Envoy response flags (short form, as in %RESPONSE_FLAGS%). */
export type ResponseFlag =
  | 'UH'
  | 'UF'
  | 'UO'
  | 'NR'
  | 'URX'
  | 'NC'
  | 'DI'
  | 'FI'
  | 'UT'
  | 'UC'
  | 'UR'
  | 'LR'
  | 'DC'
  | 'RL'
  | 'UAEX'
  | 'IH'
  | 'SI'
  | 'DPE'
  | 'UPE'
  | 'UMSDR'
  | 'DF'
  | 'NFCF'
  | 'OM'
  | 'UAEX';

/** envoy.config.core.v3.TrafficDirection, as telemetry names it ('' for UNSPECIFIED). */
export type TrafficDirection = 'inbound' | 'outbound' | '';

export class RequestRecord {
  /** Date.now() at the start, for access-log timestamps. */
  readonly startTime: number;
  /** performance.now() at the start, for durations. */
  readonly startMono: number;
  listenerName: string;
  protocol: string;
  method = '';
  authority = '';
  path = '';
  requestId = '';
  userAgent = '';
  downstreamRemoteAddress = '';
  downstreamRemotePort = 0;
  downstreamLocalAddress = '';
  downstreamLocalPort = 0;
  routeName = '';
  virtualHostName = '';
  upstreamCluster = '';
  /** "address:port" of the host that served the (last) attempt. */
  upstreamHost = '';
  responseCode = 0;
  /** Envoy's %RESPONSE_CODE_DETAILS% (via_upstream, route_not_found, …). */
  responseCodeDetails = '';
  grpcStatus: number | undefined = undefined;
  flags = '';
  bytesReceived = 0;
  bytesSent = 0;
  attemptCount = 0;
  /** ms from the first upstream request byte to upstream response headers (x-envoy-upstream-service-time). */
  upstreamServiceTime: number | undefined = undefined;
  /** ms from start to the end of the response (or connection), set at completion. */
  duration = 0;

  // What telemetry reads beyond the above (sidecar/telemetry/record.ts RecordExtras),
  // declared here so every record has the same shape from its first line.
  /** Listener.traffic_direction; '' when the listener does not say. */
  direction: TrafficDirection = '';
  /** The request's content-type is application/grpc*. */
  grpc = false;
  /** x-forwarded-for and x-envoy-original-path as sent upstream, for access logs. */
  forwardedFor = '';
  originalPath = '';
  /** route.decorator.operation, the span name when set. */
  operationName = '';
  /** "ip:port" of the upstream connection's local end ('' when the pool does not tell). */
  upstreamLocalAddress = '';
  /** SNI of the downstream TLS connection. */
  requestedServerName = '';
  upstreamTransportFailureReason = '';
  connectionTerminationDetails = '';
  /**
   * Headers plus body on the wire; undefined until the data path measures them, so
   * telemetry falls back to the body counts above.
   */
  wireBytesReceived: number | undefined = undefined;
  wireBytesSent: number | undefined = undefined;
  /** URI SANs of the mTLS connection: the peer's and ours ('' without mTLS). */
  peerPrincipal = '';
  localPrincipal = '';
  /** Set by telemetry: the peer's workload from the metadata exchange (opaque here). */
  peer: unknown = undefined;
  /** Set by telemetry: the request's span when sampled (opaque here). */
  span: unknown = undefined;

  constructor(listenerName: string, protocol: string, startMono: number) {
    this.startTime = Date.now();
    this.startMono = startMono;
    this.listenerName = listenerName;
    this.protocol = protocol;
  }

  /**
   * The downstream connection's facts: addresses, listener direction, and the mTLS
   * identities and SNI when the chain terminated TLS. `serverName` overrides the SNI
   * (tls_inspector's, on a TLS stream passed through).
   */
  setDownstream(conn: ConnectionInfo, serverName?: string): void {
    this.downstreamRemoteAddress = conn.remoteAddress;
    this.downstreamRemotePort = conn.remotePort;
    this.downstreamLocalAddress = conn.localAddress;
    this.downstreamLocalPort = conn.localPort;
    this.direction = conn.direction ?? '';
    const tls = conn.tls;
    if (tls) {
      this.peerPrincipal = tls.peerPrincipal;
      this.localPrincipal = tls.localPrincipal;
    }
    this.requestedServerName = serverName ?? tls?.serverName ?? '';
  }

  addFlag(flag: ResponseFlag | string): void {
    if (this.flags === '') this.flags = flag;
    else if (!this.flags.split(',').includes(flag)) this.flags += `,${flag}`;
  }

  hasFlag(flag: string): boolean {
    return this.flags !== '' && this.flags.split(',').includes(flag);
  }
}

export type RequestCompleteHook = (record: RequestRecord) => void;
