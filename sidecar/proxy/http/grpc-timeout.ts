// The timeout the router arms for a request: the route's, or for gRPC the
// request's grpc-timeout header (gRPC's `<digits><unit>` form) when the route's
// max_stream_duration says to honour it, capped by grpc_timeout_header_max.
import type { ClusterAction } from '../route/types.ts';
import type { RequestContext } from './request-context.ts';

/** The route timeout, or the request's grpc-timeout when max_stream_duration allows it. */
export function routeTimeout(ctx: RequestContext, action: ClusterAction): number {
  const max = action.grpcTimeoutMaxMs;
  if (max === undefined) return action.timeoutMs;
  const gt = ctx.headers['grpc-timeout'];
  const ms = typeof gt === 'string' ? parseGrpcTimeout(gt) : undefined;
  if (ms === undefined) return action.timeoutMs;
  return max > 0 ? Math.min(ms, max) : ms;
}

const GRPC_UNITS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000001,
};

function parseGrpcTimeout(v: string): number | undefined {
  const m = /^(\d{1,8})([HMSmun])$/.exec(v);
  return m ? Math.max(1, Number(m[1]) * GRPC_UNITS[m[2]!]!) : undefined;
}
