// `petrel proxy`'s telemetry: the flags Istio spreads over meshConfig and the
// injected environment (accessLogFile/Encoding, tracing endpoint, sampling and
// propagation, ISTIO_PROMETHEUS_ANNOTATIONS) made into one Telemetry, attached to
// the data path (per-request hooks, cluster and endpoint metadata) and to the
// agent's admin and status ports, plus the stats port (15090).
import type { ParseArgsOptionsConfig } from 'node:util';
import { TypeUrl } from '../../api/envoy/registry.ts';
import { serverStats } from '../../sidecar/admin/server.ts';
import { serverStateOf } from '../../sidecar/admin/sources.ts';
import type { Agent } from '../../sidecar/agent/agent.ts';
import type { ListeningServer } from '../../sidecar/agent/http-listen.ts';
import type { ProxyDataPlane } from '../../sidecar/proxy/data-plane.ts';
import type { AccessLogEncoding, AccessLogOptions } from '../../sidecar/telemetry/access-log.ts';
import { serviceFromClusterResource } from '../../sidecar/telemetry/destination-service.ts';
import { errorLine } from '../../sidecar/telemetry/errors.ts';
import {
  appTargetFromAnnotations,
  type AppMetricsTarget,
} from '../../sidecar/telemetry/merged-metrics.ts';
import type { TelemetryRecord } from '../../sidecar/telemetry/record.ts';
import { startStatsServer } from '../../sidecar/telemetry/stats-server.ts';
import { Telemetry, type TelemetryLogger } from '../../sidecar/telemetry/telemetry.ts';
import type { TracePropagation, TracingOptions } from '../../sidecar/telemetry/tracing.ts';
import { TcpPeerMetadata } from '../../sidecar/telemetry/tcp-peer-exchange.ts';
import { CliError } from '../errors.ts';
import { portFlag } from '../flags.ts';

export const TELEMETRY_FLAG_OPTIONS = {
  'stats-port': { type: 'string' },
  'access-log': { type: 'string' },
  'access-log-encoding': { type: 'string' },
  'tracing-endpoint': { type: 'string' },
  'tracing-sampling': { type: 'string' },
  'tracing-propagation': { type: 'string' },
} as const satisfies ParseArgsOptionsConfig;

export const TELEMETRY_FLAG_HELP = [
  '  --stats-port N            istio_* and envoy_* metrics at /stats/prometheus, on the probe host (default 15090)',
  '  --access-log FILE|-       access log (Istio meshConfig.accessLogFile; - is stdout); off by default',
  "  --access-log-encoding TEXT|JSON   Istio's text or JSON access log format (default TEXT)",
  '  --tracing-endpoint URL    OTLP/HTTP traces endpoint, e.g. http://jaeger-collector:4318/v1/traces',
  '  --tracing-sampling PCT    percentage of new traces sampled, 0..100 (default 1, as Istio)',
  '  --tracing-propagation w3c,b3   trace context formats sent upstream (default w3c; both are read)',
].join('\n');

export interface TelemetryConfig {
  statsPort: number;
  accessLog: Pick<AccessLogOptions, 'path' | 'encoding'> | undefined;
  tracing:
    Required<Pick<TracingOptions, 'endpoint' | 'samplingPercent' | 'propagation'>> | undefined;
  /** The app's own metrics, merged on the status port (ISTIO_PROMETHEUS_ANNOTATIONS). */
  appMetrics: AppMetricsTarget | undefined;
}

function text(values: Record<string, unknown>, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** The telemetry flags and environment, checked: a bad value is one line naming the flag. */
export function telemetryConfigFromFlags(
  values: Record<string, unknown>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): TelemetryConfig {
  const statsPort = portFlag(values, 'stats-port', 15090);

  const logPath = text(values, 'access-log');
  const encodingText = text(values, 'access-log-encoding');
  if (logPath === '') throw new CliError('--access-log: want a file path or - for stdout');
  if (encodingText !== undefined && logPath === undefined)
    throw new CliError('--access-log-encoding: needs --access-log');
  const encoding = (encodingText ?? 'TEXT').toUpperCase();
  if (encoding !== 'TEXT' && encoding !== 'JSON')
    throw new CliError(`--access-log-encoding ${encodingText}: must be TEXT or JSON`);
  const accessLog =
    logPath === undefined
      ? undefined
      : {
          path: logPath === '-' ? '/dev/stdout' : logPath,
          encoding: encoding as AccessLogEncoding,
        };

  const endpoint = text(values, 'tracing-endpoint');
  const samplingText = text(values, 'tracing-sampling');
  const propagationText = text(values, 'tracing-propagation');
  if (endpoint === undefined && (samplingText !== undefined || propagationText !== undefined))
    throw new CliError(
      `--${samplingText !== undefined ? 'tracing-sampling' : 'tracing-propagation'}: needs --tracing-endpoint`,
    );
  let tracing: TelemetryConfig['tracing'];
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new CliError(`--tracing-endpoint ${endpoint}: not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new CliError(
        `--tracing-endpoint ${endpoint}: want an http:// or https:// OTLP endpoint`,
      );
    const samplingPercent = samplingText === undefined ? 1 : Number(samplingText);
    if (samplingText?.trim() === '' || !(samplingPercent >= 0 && samplingPercent <= 100))
      throw new CliError(`--tracing-sampling ${samplingText}: must be a percentage 0..100`);
    const propagation: TracePropagation[] = [];
    for (const p of (propagationText ?? 'w3c').split(',').map((s) => s.trim().toLowerCase())) {
      if (p !== 'w3c' && p !== 'b3')
        throw new CliError(`--tracing-propagation ${propagationText}: "${p}" is not w3c or b3`);
      if (!propagation.includes(p)) propagation.push(p);
    }
    tracing = { endpoint, samplingPercent, propagation };
  }

  let appMetrics: AppMetricsTarget | undefined;
  try {
    appMetrics = appTargetFromAnnotations(env.ISTIO_PROMETHEUS_ANNOTATIONS);
  } catch (err) {
    throw new CliError(errorLine(err));
  }
  return { statsPort, accessLog, tracing, appMetrics };
}

/** `filter_metadata.istio.workload` of an endpoint (what pilot writes for the client side's fallback). */
function istioWorkload(metadata: Record<string, unknown> | undefined): string | undefined {
  const fm = metadata?.filter_metadata as Record<string, unknown> | undefined;
  const w = (fm?.istio as Record<string, unknown> | undefined)?.workload;
  return typeof w === 'string' ? w : undefined;
}

export interface AttachTelemetryOptions {
  dataPlane: ProxyDataPlane;
  agent: Pick<Agent, 'node' | 'xds' | 'readiness'>;
  config: TelemetryConfig;
  /** When the agent started (server.uptime in envoy_* stats on the stats port). */
  startedAt: Date;
  /** Where the stats port listens (the probe host; all interfaces by default). */
  statsHost?: string;
  log?: TelemetryLogger;
}

export interface ProxyTelemetry {
  readonly telemetry: Telemetry;
  /** The stats port (15090). */
  readonly stats: ListeningServer;
  /** Detaches from the data path, closes the stats port, flushes the access log and spans. */
  close(): Promise<void>;
}

export async function attachTelemetry(options: AttachTelemetryOptions): Promise<ProxyTelemetry> {
  const { dataPlane, agent, config, log } = options;
  const clusters = dataPlane.clusters;
  const telemetry = new Telemetry({
    node: agent.node,
    appMetrics: config.appMetrics,
    accessLog: config.accessLog,
    tracing: config.tracing,
    metrics: {
      clusterService: (name) => {
        const metadata = clusters.clusterMetadata(name);
        return metadata
          ? serviceFromClusterResource({ '@type': TypeUrl.Cluster, metadata })
          : undefined;
      },
      endpointWorkload: (cluster, host) => istioWorkload(clusters.hostMetadata(cluster, host)),
    },
    log,
  });
  // The same server stats the admin renders, so 15090 and 15000 agree.
  telemetry.serverStats = () =>
    serverStats({
      xds: agent.xds,
      serverState: () => serverStateOf(agent.xds.phase(), agent.readiness.draining),
      startedAt: options.startedAt,
      dataPlane,
    });
  // destination_service is cached per cluster; a CDS update may change the metadata behind it.
  const unsubscribe = clusters.onClustersChanged(() => telemetry.metrics.services.clear());
  let progressFailed = false;
  // Istio's TCP metadata exchange (ALPN istio-peer-exchange) names the peer workload
  // of TCP connections, as the x-envoy-peer-metadata headers do for HTTP.
  dataPlane.peerExchange = new TcpPeerMetadata({
    nodeId: agent.node.id,
    local: telemetry.local,
    onError: (line) => log?.warn(`telemetry: ${line}`),
  });
  dataPlane.onRequestComplete = telemetry.onRequestComplete;
  dataPlane.telemetry = {
    onRequestHeaders: telemetry.onRequestHeaders,
    onResponseHeaders: telemetry.onResponseHeaders,
    onTcpConnected: telemetry.onTcpConnected,
    onTcpProgress: (rec) => {
      try {
        telemetry.metrics.tcpProgress(rec as TelemetryRecord);
      } catch (err) {
        if (!progressFailed) log?.error(`telemetry: tcp progress: ${errorLine(err)}`);
        progressFailed = true;
      }
    },
  };
  const detach = () => {
    dataPlane.onRequestComplete = undefined;
    dataPlane.telemetry = undefined;
    dataPlane.peerExchange = undefined;
  };
  let stats: ListeningServer;
  try {
    stats = await startStatsServer({
      render: () => telemetry.prometheus(),
      port: config.statsPort,
      host: options.statsHost,
      onError: (line) => log?.error(line),
    });
  } catch (err) {
    unsubscribe();
    detach();
    await telemetry.close();
    throw err;
  }
  return {
    telemetry,
    stats,
    async close() {
      unsubscribe();
      detach();
      await stats.close();
      await telemetry.close();
    },
  };
}
