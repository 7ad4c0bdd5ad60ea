// The one interface every HTTP filter implements (as grpc-js-xds registers
// filters and Envoy Gateway patches them, one file per filter).
import type { Readable } from 'node:stream';
import type { Issues } from '../config/issues.ts';
import type { Obj } from '../config/values.ts';
import type { CompiledRoute, RequestView } from '../route/types.ts';
import type { Cluster } from '../upstream/cluster.ts';
import type { HeaderMap } from '../upstream/types.ts';
import type { FilterStats } from './filter-stats.ts';

export interface LocalReplyOptions {
  /** For gRPC requests: the grpc-status to send instead of mapping the HTTP status. */
  grpcStatus?: number;
  headers?: HeaderMap;
  /** Envoy response flag to record (FI, RL, …). */
  flag?: string;
  /** Response code details for the access log (e.g. "fault_filter_abort"). */
  details?: string;
}

export interface HttpFilterContext {
  readonly request: RequestView;
  readonly route: CompiledRoute | undefined;
  /** The upstream cluster the route chose (weighted clusters resolved), if any. */
  readonly clusterName: string | undefined;
  readonly isGrpc: boolean;
  /** Per-route config for a filter name: weighted cluster, then route, then virtual host. */
  perFilterConfig(filterName: string): unknown;
  sendLocalReply(status: number, body: string, opts?: LocalReplyOptions): void;
  /** Resumes a filter chain that a filter paused by returning false. */
  continueDecoding(): void;
  setFlag(flag: string): void;
  /** Schedules a timer tied to the request (cleared when the request ends). */
  setTimer(ms: number, fn: () => void): void;
  readonly ended: boolean;
  /**
   * The downstream body (null without one). A filter that reads it before the
   * router (ext_authz with_request_body) puts back a stream that replays it.
   */
  body: Readable | null;
  /** Rewrites :path, query included (ext_authz query parameter mutations). */
  setPath(path: string): void;
  /** A cluster of this proxy by name, for filters that call a side service (ext_authz). */
  upstreamCluster(name: string): Cluster | undefined;
  /** What to abort if the request ends while a filter holds it (reset, local reply); null clears it. */
  setCancel(cancel: (() => void) | null): void;
  /** The proxy's counters, and the connection manager's stat_prefix for `http.<prefix>.` names. */
  readonly stats: FilterStats;
  readonly statPrefix: string;
}

export interface HttpFilter {
  readonly name: string;
  /** True to continue with the next filter; false when it replied or will call continueDecoding(). */
  decodeHeaders(ctx: HttpFilterContext): boolean;
  /** Response headers on the way downstream, upstream and local replies alike. */
  encodeHeaders?(ctx: HttpFilterContext, status: number, headers: HeaderMap): void;
}

export interface HttpFilterFactory {
  /** Full proto name of the filter's typed_config. */
  readonly typeName: string;
  create(name: string, config: Obj, issues: Issues): HttpFilter | undefined;
  /** Proto names accepted in typed_per_filter_config, each with its compiler. */
  readonly perRoute?: Readonly<Record<string, (config: Obj, issues: Issues) => unknown>>;
}
