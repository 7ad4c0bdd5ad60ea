// The agent put together, for `petrel proxy`: node identity, the ADS client feeding
// the data plane, readiness on the health and status ports, the admin API, and the
// drain-and-exit sequence on SIGTERM or POST /quitquitquit. The CLI parses flags
// into AgentOptions; the data path comes in as a DataPlane.
import type * as grpc from '@grpc/grpc-js';
import { startAdminServer } from '../admin/server.ts';
import { serverStateOf, type AdminSources, type DataPlaneAdminProvider } from '../admin/sources.ts';
import type { AppProbers } from './app-probers.ts';
import { appProbeHandler } from './app-probes.ts';
import {
  Readiness,
  startHealthServer,
  startStatusServer,
  type StatusServerOptions,
} from './health.ts';
import type { ListeningServer } from './http-listen.ts';
import { Lifecycle, type DrainableDataPlane } from './lifecycle.ts';
import { LogRegistry } from './log.ts';
import { buildNodeIdentity, type NodeIdentity, type NodeIdentityOptions } from './node-identity.ts';
import { XdsClient } from './xds-client.ts';

export interface AgentOptions {
  /** The control plane, `host:port` (--xds-address). */
  xdsAddress: string;
  dataPlane: DrainableDataPlane;
  identity?: NodeIdentityOptions;
  delta?: boolean;
  credentials?: grpc.ChannelCredentials;
  adminPort?: number;
  statusPort?: number;
  healthPort?: number;
  /** Where the health and status ports listen; all interfaces by default (kubelet probes the pod IP). */
  probeHost?: string;
  drainDurationMs?: number;
  initialFetchTimeoutMs?: number;
  logs?: LogRegistry;
  /** Telemetry hook for the status port's merged `/stats/prometheus`. */
  metrics?: StatusServerOptions['metrics'];
  /** Telemetry hook for the admin's `/stats/prometheus`. */
  prometheus?: AdminSources['prometheus'];
  /** Runtime facts from the data path for /clusters, /listeners and /stats. */
  dataPlaneAdmin?: DataPlaneAdminProvider;
  commandLineOptions?: Record<string, unknown>;
  exit?: (code: number) => void;
  /** Install SIGTERM/SIGINT handlers (default true). */
  handleSignals?: boolean;
  /** The app probes to run for the kubelet (ISTIO_KUBE_APP_PROBERS, parsed by parseAppProbers). */
  appProbers?: AppProbers;
}

/** Where app probes go: the pod IPs from the identity options or INSTANCE_IP, not the host's IPs. */
function podIpsOf(identity: NodeIdentityOptions | undefined): string[] {
  if (identity?.ips?.length) return identity.ips.map((ip) => ip.trim());
  const env = identity?.env ?? process.env;
  return (env.INSTANCE_IP ?? '')
    .split(',')
    .map((ip) => ip.trim())
    .filter(Boolean);
}

export interface Agent {
  node: NodeIdentity;
  xds: XdsClient;
  readiness: Readiness;
  lifecycle: Lifecycle;
  admin: ListeningServer;
  health: ListeningServer;
  status: ListeningServer;
  /** Starts the drain-and-exit sequence (what SIGTERM does). */
  shutdown(reason: string): Promise<void>;
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
  const logs = options.logs ?? new LogRegistry();
  const statusPort = options.statusPort ?? 15020;
  const node = buildNodeIdentity({
    statusPort: options.healthPort ?? 15021,
    prometheusPort: 15090,
    ...options.identity,
  });
  const xds = new XdsClient({
    address: options.xdsAddress,
    node,
    dataPlane: options.dataPlane,
    delta: options.delta,
    credentials: options.credentials,
    initialFetchTimeoutMs: options.initialFetchTimeoutMs,
    log: logs.get('xds'),
  });
  const readiness = new Readiness(xds);
  const servers: ListeningServer[] = [];
  // Every server closes in the lifecycle's last step, whichever of them exists by then.
  const lifecycle = new Lifecycle({
    readiness,
    dataPlane: options.dataPlane,
    xds,
    servers,
    drainDurationMs: options.drainDurationMs,
    exit: options.exit,
    log: logs.get('lifecycle'),
  });
  const quit = () => void lifecycle.shutdown('quitquitquit');
  const probeHost = options.probeHost ?? '0.0.0.0';
  try {
    const health = await startHealthServer({
      readiness,
      port: options.healthPort ?? 15021,
      host: probeHost,
      log: logs.get('health'),
    });
    servers.push(health);
    const status = await startStatusServer({
      readiness,
      port: statusPort,
      host: probeHost,
      metrics: options.metrics,
      quit,
      log: logs.get('health'),
      appProbes: options.appProbers?.size
        ? appProbeHandler({
            probers: options.appProbers,
            podIps: podIpsOf(options.identity),
            log: logs.get('probes'),
          })
        : undefined,
    });
    servers.push(status);
    const adminPort = options.adminPort ?? 15000;
    const sources: AdminSources = {
      xds,
      serverState: () => serverStateOf(xds.phase(), readiness.draining),
      startedAt: new Date(),
      logs,
      quit,
      dataPlane: options.dataPlaneAdmin,
      prometheus: options.prometheus,
      commandLineOptions: options.commandLineOptions,
    };
    const admin = await startAdminServer({ sources, port: adminPort, log: logs.get('admin') });
    sources.adminAddress = { address: admin.host, port: admin.port };
    servers.push(admin);
    xds.start();
    if (options.handleSignals !== false) lifecycle.installSignalHandlers();
    logs
      .get('agent')
      .info(
        `proxy ${node.id}: xDS ${options.xdsAddress}, admin ${admin.host}:${admin.port}, health :${health.port}`,
      );
    return {
      node,
      xds,
      readiness,
      lifecycle,
      admin,
      health,
      status,
      shutdown: (reason) => lifecycle.shutdown(reason),
    };
  } catch (err) {
    for (const s of servers) await s.close();
    throw err;
  }
}
