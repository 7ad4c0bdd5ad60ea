// The proxy's telemetry put together, behind the hooks the data path and the agent
// offer: per request, `onRequestHeaders` (peer metadata, trace context) before the
// request goes upstream, `onResponseHeaders` before the response goes downstream,
// `onRequestComplete` when it ends (metrics, span end, access log); for the agent,
// `prometheus` (admin 15090 /stats/prometheus) and `statusMetrics` (15020, merged
// with the app's own metrics). Telemetry never fails a request: a hook that throws
// is logged once per kind of error and the request goes on.
import type { IncomingMessage } from 'node:http';
import type { Stat } from '../admin/sources.ts';
import type { RequestCompleteHook } from '../proxy/record.ts';
import type { HeaderMap } from '../proxy/upstream/types.ts';
import { AccessLog, type AccessLogOptions } from './access-log.ts';
import { errorLine } from './errors.ts';
import {
  createMergedMetrics,
  type AppMetricsTarget,
  type MergedMetrics,
} from './merged-metrics.ts';
import { IstioMetrics, type IstioMetricsOptions } from './metrics.ts';
import { PeerMetadataExchange } from './peer-metadata.ts';
import { directionOf, type TelemetryRecord } from './record.ts';
import { Tracing, type TracingOptions } from './tracing.ts';
import { workloadFromNodeMetadata, type WorkloadInfo } from './workload.ts';

export interface TelemetryLogger {
  warn(message: string): void;
  error(message: string): void;
}

export interface TelemetryOptions {
  /** The xDS node this proxy presents (id and metadata, as the agent builds it). */
  node: { id: string; metadata: Readonly<Record<string, unknown>> };
  metrics?: Omit<IstioMetricsOptions, 'local' | 'istioVersion'>;
  /** Istio's HTTP metadata exchange (x-envoy-peer-metadata); on by default. */
  peerMetadata?: boolean;
  /** Tracing; off when absent. */
  tracing?: Omit<TracingOptions, 'local' | 'nodeId'>;
  /** The access log; off when absent (Istio's default). */
  accessLog?: AccessLogOptions;
  /** The app's own metrics for 15020 (see appTargetFromAnnotations). */
  appMetrics?: AppMetricsTarget;
  /** The proxy's own stats (Envoy-named: server.*, cluster_manager.*, …) rendered next to istio_*. */
  serverStats?: () => Iterable<Stat>;
  log?: TelemetryLogger;
}

export class Telemetry {
  readonly local: WorkloadInfo;
  readonly metrics: IstioMetrics;
  readonly peers: PeerMetadataExchange | undefined;
  readonly tracing: Tracing | undefined;
  readonly accessLog: AccessLog | undefined;
  readonly merged: MergedMetrics;
  /** Settable after construction: the agent's stats exist only once it runs. */
  serverStats: (() => Iterable<Stat>) | undefined;
  private readonly log: TelemetryLogger | undefined;
  private readonly reported = new Set<string>();

  constructor(options: TelemetryOptions) {
    const md = options.node.metadata;
    this.local = workloadFromNodeMetadata(md);
    this.log = options.log;
    this.serverStats = options.serverStats;
    const warn = (line: string) => this.log?.warn(`telemetry: ${line}`);
    this.metrics = new IstioMetrics({
      ...options.metrics,
      local: this.local,
      istioVersion: typeof md.ISTIO_VERSION === 'string' ? md.ISTIO_VERSION : undefined,
    });
    this.peers =
      options.peerMetadata === false
        ? undefined
        : new PeerMetadataExchange({ nodeId: options.node.id, local: this.local, onError: warn });
    this.tracing = options.tracing
      ? new Tracing({
          ...options.tracing,
          local: this.local,
          nodeId: options.node.id,
          meshId:
            options.tracing.meshId ?? (typeof md.MESH_ID === 'string' ? md.MESH_ID : undefined),
          onError: options.tracing.onError ?? warn,
        })
      : undefined;
    this.accessLog = options.accessLog
      ? new AccessLog({ onError: warn, ...options.accessLog })
      : undefined;
    this.merged = createMergedMetrics({
      proxy: () => this.prometheus(),
      app: options.appMetrics,
      onError: warn,
    });
  }

  /**
   * A request's headers after routing, just before they go upstream (`headers` is
   * the map that will be sent). Inbound: takes the peer's metadata out; outbound:
   * adds ours. Then the trace context.
   */
  readonly onRequestHeaders = (rec: TelemetryRecord, headers: HeaderMap): void => {
    try {
      const peers = this.peers;
      if (peers) {
        if (directionOf(rec) === 'inbound') rec.peer = peers.extract(headers);
        else peers.inject(headers);
      }
      this.tracing?.start(rec, headers);
    } catch (err) {
      this.fail('request headers', err);
    }
  };

  /**
   * Response headers before they go downstream (upstream responses and local
   * replies). Outbound: takes the server's metadata out; inbound: answers with ours
   * when the client sent its own, as Istio does.
   */
  readonly onResponseHeaders = (rec: TelemetryRecord, headers: HeaderMap): void => {
    const peers = this.peers;
    if (!peers) return;
    try {
      if (directionOf(rec) === 'inbound') {
        if (rec.peer !== undefined) peers.inject(headers);
      } else {
        const p = peers.extract(headers);
        if (p !== undefined) rec.peer = p;
      }
    } catch (err) {
      this.fail('response headers', err);
    }
  };

  /** The data path's onRequestComplete hook. */
  readonly onRequestComplete: RequestCompleteHook = (record) => {
    const rec = record as TelemetryRecord;
    try {
      this.metrics.record(rec);
      this.tracing?.finish(rec);
      this.accessLog?.log(rec);
    } catch (err) {
      this.fail('request complete', err);
    }
  };

  /** A TCP connection reached its upstream (counts istio_tcp_connections_opened_total then). */
  readonly onTcpConnected = (rec: TelemetryRecord): void => {
    try {
      this.metrics.tcpOpened(rec);
    } catch (err) {
      this.fail('tcp connected', err);
    }
  };

  /**
   * The admin's /stats/prometheus (15090): istio_* plus the proxy's own stats,
   * given here or taken from `serverStats`.
   */
  readonly prometheus = (serverStats?: Iterable<Stat>): string =>
    this.metrics.prometheusText(serverStats ?? this.serverStats?.());

  /** The status port's /stats/prometheus (15020): the proxy's metrics merged with the app's. */
  readonly statusMetrics = (req?: IncomingMessage): Promise<string> => this.merged.handle(req);

  async close(): Promise<void> {
    await this.accessLog?.close();
    await this.tracing?.shutdown();
  }

  private fail(where: string, err: unknown): void {
    const line = `${where}: ${errorLine(err)}`;
    if (this.reported.has(line)) return;
    this.reported.add(line);
    this.log?.error(`telemetry: ${line}`);
  }
}
