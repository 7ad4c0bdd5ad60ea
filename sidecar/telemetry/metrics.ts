// Istio's standard metrics, counted the way istio-proxy's stats filter counts them:
// istio_requests_total, istio_request_duration_milliseconds, istio_request_bytes,
// istio_response_bytes for HTTP and gRPC; istio_tcp_connections_opened_total,
// istio_tcp_connections_closed_total, istio_tcp_sent_bytes_total,
// istio_tcp_received_bytes_total for TCP; both reporters (source on outbound,
// destination on inbound), plus the istio_build gauge.
//
// The hot path is a few Map lookups on values that are already interned: the peer
// (cached WorkloadInfo objects), the destination service (cached per cluster), the
// principals, then a numeric key (response code, gRPC status, protocol). The label
// text of a series is built once, when the series is created.
import type { Stat } from '../admin/sources.ts';
import {
  DestinationServiceResolver,
  type ClusterServiceLookup,
  type DestinationService,
} from './destination-service.ts';
import { buildBaseLabels, httpSuffix, tcpSuffix } from './istio-labels.ts';
import { HttpSeries, LabelBase, TcpSeries } from './metric-series.ts';
import {
  ENVOY_DEFAULT_BUCKETS,
  renderFamilies,
  sanitizeMetricName,
  type Family,
  type Series,
} from './prometheus-text.ts';
import { directionOf, isGrpc, type TelemetryRecord, type TrafficDirection } from './record.ts';
import { workloadFromEndpointMetadata, type WorkloadInfo } from './workload.ts';

export interface IstioMetricsOptions {
  local: WorkloadInfo;
  /** The istio_build tag (the node's ISTIO_VERSION). */
  istioVersion?: string;
  /** Cluster metadata (`istio.services`), for destination_service; cluster names are parsed otherwise. */
  clusterService?: ClusterServiceLookup;
  /** The `istio.workload` endpoint metadata of an upstream host, the client side's fallback peer. */
  endpointWorkload?: (cluster: string, hostAddress: string) => string | undefined;
  /** Istio's disable_host_header_fallback. */
  disableHostHeaderFallback?: boolean;
  /** Bucket bounds (sidecar.istio.io/statsHistogramBuckets); Envoy's defaults otherwise. */
  durationBuckets?: readonly number[];
  bytesBuckets?: readonly number[];
}

type ByPrincipals = Map<string, LabelBase>;
type ByService = Map<DestinationService, ByPrincipals>;
type ByPeer = Map<WorkloadInfo | null, ByService>;

interface TcpProgress {
  series: TcpSeries;
  sent: number;
  received: number;
}

export class IstioMetrics {
  readonly local: WorkloadInfo;
  readonly services: DestinationServiceResolver;
  private readonly istioVersion: string;
  private readonly endpointWorkload: IstioMetricsOptions['endpointWorkload'];
  private readonly endpointPeers = new Map<string, WorkloadInfo | null>();
  private readonly reporters: Record<TrafficDirection, ByPeer> = {
    inbound: new Map(),
    outbound: new Map(),
  };
  private readonly bases: LabelBase[] = [];
  private readonly durationBuckets: readonly number[];
  private readonly bytesBuckets: readonly number[];
  private readonly tcpOpen = new WeakMap<TelemetryRecord, TcpProgress>();

  constructor(options: IstioMetricsOptions) {
    this.local = options.local;
    this.istioVersion = options.istioVersion || 'unknown';
    this.services = new DestinationServiceResolver(
      options.clusterService,
      !options.disableHostHeaderFallback,
    );
    this.endpointWorkload = options.endpointWorkload;
    this.durationBuckets = options.durationBuckets ?? ENVOY_DEFAULT_BUCKETS;
    this.bytesBuckets = options.bytesBuckets ?? ENVOY_DEFAULT_BUCKETS;
  }

  /** Counts one finished HTTP request or TCP connection (the onRequestComplete hook). */
  record(rec: TelemetryRecord): void {
    if (rec.protocol === 'TCP') this.tcpClosed(rec);
    else this.httpDone(rec);
  }

  /**
   * A TCP connection reached its upstream: istio_tcp_connections_opened_total now,
   * as Istio reports it once the peer is known. Without this call the connection is
   * counted as opened when it closes.
   */
  tcpOpened(rec: TelemetryRecord): void {
    if (this.tcpOpen.has(rec)) return;
    const series = this.tcpSeries(rec);
    series.opened++;
    this.tcpOpen.set(rec, { series, sent: 0, received: 0 });
  }

  /** Long-lived TCP connections: adds the bytes moved since the last report (Istio reports every 5 s). */
  tcpProgress(rec: TelemetryRecord): void {
    if (!this.tcpOpen.has(rec)) this.tcpOpened(rec);
    const p = this.tcpOpen.get(rec)!;
    p.series.sent += rec.bytesSent - p.sent;
    p.series.received += rec.bytesReceived - p.received;
    p.sent = rec.bytesSent;
    p.received = rec.bytesReceived;
  }

  private httpDone(rec: TelemetryRecord): void {
    const base = this.baseFor(rec);
    const grpc = isGrpc(rec);
    const code = rec.responseCode;
    const gs = grpc ? rec.grpcStatus : undefined;
    const flags = rec.flags;
    let s: HttpSeries | undefined;
    if (
      flags === '' &&
      code >= 0 &&
      code < 1000 &&
      (gs === undefined || (gs >= 0 && gs < 32 && (gs | 0) === gs))
    ) {
      const key = code * 128 + (grpc ? 64 : 0) + (gs === undefined ? 32 : gs);
      s = base.http.get(key);
      if (s === undefined) {
        s = this.newHttpSeries(base, grpc, code, gs, flags);
        base.http.set(key, s);
      }
    } else {
      const key = `${code}|${grpc ? 1 : 0}|${gs ?? ''}|${flags}`;
      s = base.httpOther.get(key);
      if (s === undefined) {
        s = this.newHttpSeries(base, grpc, code, gs, flags);
        base.httpOther.set(key, s);
      }
    }
    s.requests++;
    // Istio records whole milliseconds (absl duration / 1ms truncates).
    s.duration.observe(Math.floor(rec.duration));
    s.requestBytes.observe(rec.wireBytesReceived ?? rec.bytesReceived);
    s.responseBytes.observe(rec.wireBytesSent ?? rec.bytesSent);
  }

  private newHttpSeries(
    base: LabelBase,
    grpc: boolean,
    code: number,
    gs: number | undefined,
    flags: string,
  ): HttpSeries {
    const labels = `${base.text},${httpSuffix(grpc, code, gs, flags, base.securityPolicy)}`;
    return new HttpSeries(labels, this.durationBuckets, this.bytesBuckets);
  }

  private tcpClosed(rec: TelemetryRecord): void {
    const p = this.tcpOpen.get(rec);
    const series = p ? p.series : this.tcpSeries(rec);
    if (!p) series.opened++;
    series.sent += rec.bytesSent - (p ? p.sent : 0);
    series.received += rec.bytesReceived - (p ? p.received : 0);
    series.closed++;
    if (p) this.tcpOpen.delete(rec);
  }

  private tcpSeries(rec: TelemetryRecord): TcpSeries {
    const base = this.baseFor(rec);
    let s = base.tcp.get(rec.flags);
    if (s === undefined) {
      s = new TcpSeries(`${base.text},${tcpSuffix(rec.flags, base.securityPolicy)}`);
      base.tcp.set(rec.flags, s);
    }
    return s;
  }

  private peerOf(direction: TrafficDirection, rec: TelemetryRecord): WorkloadInfo | null {
    const p = rec.peer;
    if (p) return p;
    // Istio's client side falls back to the endpoint's telemetry metadata.
    if (direction === 'outbound' && this.endpointWorkload && rec.upstreamHost !== '') {
      const encoded = this.endpointWorkload(rec.upstreamCluster, rec.upstreamHost);
      if (encoded) {
        let w = this.endpointPeers.get(encoded);
        if (w === undefined) {
          w = workloadFromEndpointMetadata(encoded) ?? null;
          this.endpointPeers.set(encoded, w);
        }
        return w;
      }
    }
    return null;
  }

  private baseFor(rec: TelemetryRecord): LabelBase {
    const direction = directionOf(rec);
    const peer = this.peerOf(direction, rec);
    const service = this.services.resolve(rec.upstreamCluster, rec.routeName, rec.authority);
    const peerPrincipal = rec.peerPrincipal ?? '';
    const localPrincipal = rec.localPrincipal ?? '';
    const byPeer = this.reporters[direction];
    let byService = byPeer.get(peer);
    if (byService === undefined) byPeer.set(peer, (byService = new Map()));
    let byPrincipals = byService.get(service);
    if (byPrincipals === undefined) byService.set(service, (byPrincipals = new Map()));
    const pkey =
      peerPrincipal === '' && localPrincipal === '' ? '' : `${peerPrincipal}\n${localPrincipal}`;
    let base = byPrincipals.get(pkey);
    if (base === undefined) {
      const b = buildBaseLabels({
        direction,
        local: this.local,
        peer,
        service,
        peerPrincipal,
        localPrincipal,
      });
      base = new LabelBase(b.text, b.securityPolicy);
      byPrincipals.set(pkey, base);
      this.bases.push(base);
    }
    return base;
  }

  /** The istio_* families, for exposition. */
  families(): Family[] {
    const requests: Series[] = [];
    const duration: Series[] = [];
    const reqBytes: Series[] = [];
    const respBytes: Series[] = [];
    const opened: Series[] = [];
    const closed: Series[] = [];
    const sent: Series[] = [];
    const received: Series[] = [];
    for (const base of this.bases) {
      for (const m of [base.http, base.httpOther] as Array<Map<unknown, HttpSeries>>) {
        for (const s of m.values()) {
          requests.push({ labels: s.labels, value: s.requests });
          duration.push({ labels: s.labels, value: s.duration });
          reqBytes.push({ labels: s.labels, value: s.requestBytes });
          respBytes.push({ labels: s.labels, value: s.responseBytes });
        }
      }
      for (const s of base.tcp.values()) {
        opened.push({ labels: s.labels, value: s.opened });
        closed.push({ labels: s.labels, value: s.closed });
        sent.push({ labels: s.labels, value: s.sent });
        received.push({ labels: s.labels, value: s.received });
      }
    }
    return [
      { name: 'istio_requests_total', type: 'counter', series: requests },
      { name: 'istio_request_duration_milliseconds', type: 'histogram', series: duration },
      { name: 'istio_request_bytes', type: 'histogram', series: reqBytes },
      { name: 'istio_response_bytes', type: 'histogram', series: respBytes },
      { name: 'istio_tcp_connections_opened_total', type: 'counter', series: opened },
      { name: 'istio_tcp_connections_closed_total', type: 'counter', series: closed },
      { name: 'istio_tcp_sent_bytes_total', type: 'counter', series: sent },
      { name: 'istio_tcp_received_bytes_total', type: 'counter', series: received },
      {
        name: 'istio_build',
        type: 'gauge',
        series: [{ labels: `component="proxy",tag="${this.istioVersion}"`, value: 1 }],
      },
    ];
  }

  /**
   * Envoy's /stats/prometheus: the istio_* metrics plus the proxy's own stats
   * (`envoy_`-prefixed, as Envoy names stats outside a custom namespace).
   */
  prometheusText(serverStats?: Iterable<Stat>): string {
    const families = this.families();
    for (const s of serverStats ?? []) {
      families.push({
        name: `envoy_${sanitizeMetricName(s.name)}`,
        type: s.type,
        series: [{ labels: '', value: s.value }],
      });
    }
    return renderFamilies(families);
  }
}
