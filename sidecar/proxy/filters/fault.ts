// envoy.filters.http.fault: delay and abort injection (HTTPFault), configured on the
// HTTP connection manager and overridden per route / virtual host.
import type { Issues } from '../config/issues.ts';
import {
  asArray,
  asNumber,
  asObj,
  asString,
  durationMs,
  fractionalPercent,
  type Obj,
} from '../config/values.ts';
import { compileHeaderMatchers, type RequestPredicate } from '../match/header-matcher.ts';
import type { HttpFilter, HttpFilterContext, HttpFilterFactory } from './types.ts';

const TYPE = 'envoy.extensions.filters.http.fault.v3.HTTPFault';

export interface FaultConfig {
  delayMs: number | undefined;
  headerDelay: boolean;
  delayFraction: number;
  abortStatus: number | undefined;
  abortGrpc: number | undefined;
  headerAbort: boolean;
  abortFraction: number;
  headers: RequestPredicate[];
  upstreamCluster: string | undefined;
  downstreamNodes: ReadonlySet<string> | null;
  maxActive: number | undefined;
}

export function compileFault(c: Obj, issues: Issues): FaultConfig {
  const delay = asObj(c.delay);
  const abort = asObj(c.abort);
  const cfg: FaultConfig = {
    delayMs: delay ? durationMs(delay.fixed_delay, issues, 'delay.fixed_delay') : undefined,
    headerDelay: delay?.header_delay !== undefined,
    delayFraction: delay ? fractionalPercent(delay.percentage, issues, 'delay.percentage', 0) : 0,
    abortStatus: abort ? asNumber(abort.http_status) : undefined,
    abortGrpc: abort ? asNumber(abort.grpc_status) : undefined,
    headerAbort: abort?.header_abort !== undefined,
    abortFraction: abort ? fractionalPercent(abort.percentage, issues, 'abort.percentage', 0) : 0,
    headers: compileHeaderMatchers(c.headers, issues.at('headers')),
    upstreamCluster: asString(c.upstream_cluster) || undefined,
    downstreamNodes:
      asArray(c.downstream_nodes).length > 0
        ? new Set(asArray(c.downstream_nodes).map(String))
        : null,
    maxActive: asNumber(asObj(c.max_active_faults)?.value ?? c.max_active_faults),
  };
  if (delay && cfg.delayMs === undefined && !cfg.headerDelay)
    issues.add('delay needs fixed_delay or header_delay', 'delay');
  if (abort && cfg.abortStatus === undefined && cfg.abortGrpc === undefined && !cfg.headerAbort) {
    issues.add('abort needs http_status, grpc_status or header_abort', 'abort');
  }
  if (cfg.abortStatus !== undefined && (cfg.abortStatus < 200 || cfg.abortStatus >= 600))
    issues.add('http_status must be 200..599', 'abort.http_status');
  if (c.response_rate_limit !== undefined)
    issues.add('response_rate_limit is not supported', 'response_rate_limit');
  return cfg;
}

class FaultFilter implements HttpFilter {
  readonly name: string;
  private readonly defaults: FaultConfig;
  private active = 0;

  constructor(name: string, defaults: FaultConfig) {
    this.name = name;
    this.defaults = defaults;
  }

  decodeHeaders(ctx: HttpFilterContext): boolean {
    const cfg = (ctx.perFilterConfig(this.name) as FaultConfig | undefined) ?? this.defaults;
    if (
      cfg.delayMs === undefined &&
      !cfg.headerDelay &&
      cfg.abortStatus === undefined &&
      cfg.abortGrpc === undefined &&
      !cfg.headerAbort
    )
      return true;
    if (cfg.upstreamCluster !== undefined && cfg.upstreamCluster !== ctx.clusterName) return true;
    if (
      cfg.downstreamNodes &&
      !cfg.downstreamNodes.has(ctx.request.header('x-envoy-downstream-service-node') ?? '')
    )
      return true;
    for (const m of cfg.headers) if (!m(ctx.request)) return true;
    if (cfg.maxActive !== undefined && this.active >= cfg.maxActive) return true;
    const delay = this.delayFor(cfg, ctx);
    if (delay !== undefined) {
      this.active++;
      ctx.setFlag('DI');
      ctx.setTimer(delay, () => {
        this.active--;
        if (!ctx.ended && this.abort(cfg, ctx)) ctx.continueDecoding();
      });
      return false;
    }
    return this.abort(cfg, ctx);
  }

  private delayFor(cfg: FaultConfig, ctx: HttpFilterContext): number | undefined {
    if (cfg.headerDelay) {
      const h = Number(ctx.request.header('x-envoy-fault-delay-request'));
      if (Number.isFinite(h) && h > 0 && Math.random() < cfg.delayFraction) return h;
      return undefined;
    }
    if (cfg.delayMs !== undefined && Math.random() < cfg.delayFraction) return cfg.delayMs;
    return undefined;
  }

  /** True to continue; false after sending the abort reply. */
  private abort(cfg: FaultConfig, ctx: HttpFilterContext): boolean {
    let status = cfg.abortStatus;
    let grpc = cfg.abortGrpc;
    if (cfg.headerAbort) {
      const hs = Number(ctx.request.header('x-envoy-fault-abort-request'));
      const gs = Number(ctx.request.header('x-envoy-fault-abort-grpc-request'));
      status = Number.isInteger(hs) && hs >= 200 && hs < 600 ? hs : undefined;
      grpc = Number.isInteger(gs) && gs >= 0 ? gs : undefined;
    }
    if (status === undefined && grpc === undefined) return true;
    if (Math.random() >= cfg.abortFraction) return true;
    if (grpc !== undefined) {
      ctx.sendLocalReply(200, 'fault filter abort', {
        grpcStatus: grpc,
        flag: 'FI',
        details: 'fault_filter_abort',
      });
    } else {
      ctx.sendLocalReply(status!, 'fault filter abort', {
        flag: 'FI',
        details: 'fault_filter_abort',
      });
    }
    return false;
  }
}

export const faultFactory: HttpFilterFactory = {
  typeName: TYPE,
  create(name, config, issues) {
    return new FaultFilter(name, compileFault(config, issues));
  },
  perRoute: { [TYPE]: compileFault },
};
