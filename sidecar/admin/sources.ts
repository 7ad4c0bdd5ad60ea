// What the admin server reads, and from whom. The agent supplies xDS state, server
// state, loggers and the quit hook; the data path may add runtime facts (host
// stats and health, bound listener addresses, its own counters) through the
// optional `dataPlane` provider, and telemetry may take over `/stats/prometheus`.
import type { LogRegistry } from '../agent/log.ts';
import type { NodeIdentity } from '../agent/node-identity.ts';
import type { XdsClientStatus } from '../agent/xds-status.ts';

/** Envoy's server states (`/ready`, `/server_info`, the `server.state` gauge). */
export type ServerState = 'LIVE' | 'DRAINING' | 'PRE_INITIALIZING' | 'INITIALIZING';

export interface Stat {
  name: string;
  value: number;
  type: 'counter' | 'gauge';
}

/** Runtime facts about one upstream host, keyed by `ip:port` as Envoy prints it. */
export interface HostRuntime {
  /** cx_total, cx_active, cx_connect_fail, rq_total, rq_timeout, rq_success, rq_error, rq_active, … */
  stats?: Readonly<Record<string, number>>;
  /** Envoy's failure flags beyond EDS health, e.g. `failed_outlier_check`, `failed_active_hc`. */
  healthFlags?: readonly string[];
  /** Outlier detection success rate, 0..100; -1 when unknown. */
  successRate?: number;
}

export interface ListenerRuntime {
  name: string;
  /** The bound address (with the real port when the config asked for port 0). */
  address: string;
  port: number;
}

/** Optional providers the data path implements when it can. */
export interface DataPlaneAdminProvider {
  hostRuntime?(cluster: string, hostAddress: string): HostRuntime | undefined;
  listeners?(): readonly ListenerRuntime[];
  stats?(): Iterable<Stat>;
}

export interface AdminSources {
  xds: { status(): XdsClientStatus };
  serverState(): ServerState;
  startedAt: Date;
  logs: LogRegistry;
  /** POST /quitquitquit: start the drain-and-exit sequence. */
  quit(): void;
  dataPlane?: DataPlaneAdminProvider;
  /**
   * Replaces the default `/stats/prometheus` rendering (the telemetry hook); `stats`
   * are the server's own (Envoy-named) stats, rendered next to istio_* as Envoy does.
   */
  prometheus?(stats: Iterable<Stat>): Promise<string> | string;
  /** Shown by /server_info as command_line_options. */
  commandLineOptions?: Readonly<Record<string, unknown>>;
  /** Shown in the bootstrap dump: the admin address, the xDS cluster. */
  adminAddress?: { address: string; port: number };
}

export type { NodeIdentity };

/** Envoy's server state from the xDS client's init phase and whether the proxy is draining. */
export function serverStateOf(
  phase: 'PRE_INITIALIZING' | 'INITIALIZING' | 'LIVE',
  draining: boolean,
): ServerState {
  return draining ? 'DRAINING' : phase;
}
