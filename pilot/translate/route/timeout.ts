// VirtualService timeout → the route's timeout (Istio's default: none, "0s"). The
// same bound applies to gRPC deadlines: Envoy honours grpc-timeout up to it
// (grpc_timeout_header_max, 0 = no cap); a proxyless gRPC client reads max_stream_duration.
import type { HTTPRoute } from '../../../api/istio/index.ts';
import { goDuration } from '../common/envoy.ts';
import type { Family } from '../cluster/context.ts';

export function applyTimeout(
  action: Record<string, unknown>,
  timeout: HTTPRoute['timeout'],
  family: Family,
): void {
  const value = goDuration(timeout) ?? '0s';
  action.timeout = value;
  action.max_stream_duration =
    family === 'grpc' ? { max_stream_duration: value } : { grpc_timeout_header_max: value };
}
