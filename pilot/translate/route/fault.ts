// VirtualService fault → the route's typed_per_filter_config for envoy.filters.http.fault
// (the fault filter sits before the router in every HCM Petrel builds). Percentages
// are per million as in Istio; an unset percentage is written as 0% explicitly
// because gRPC clients reject a fault without one.
import type { HTTPRoute } from '../../../api/istio/index.ts';
import { fractionOfInteger, fractionOfPercent, goDuration } from '../common/envoy.ts';
import { HTTP_FAULT } from '../common/type-urls.ts';

export const FAULT_FILTER = 'envoy.filters.http.fault';

const GRPC_CODES: Record<string, number> = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

/** A gRPC status from its name ("UNAVAILABLE") or number ("14"); undefined when neither. */
export function grpcStatusCode(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  return GRPC_CODES[text.toUpperCase()];
}

export function httpFault(fault: HTTPRoute['fault']): Record<string, unknown> | undefined {
  if (!fault) return undefined;
  const out: Record<string, unknown> = { '@type': HTTP_FAULT };
  if (fault.delay?.fixedDelay) {
    const pct = fault.delay.percentage
      ? fractionOfPercent(fault.delay.percentage.value)
      : fractionOfInteger(fault.delay.percent ?? 0);
    out.delay = { fixed_delay: goDuration(fault.delay.fixedDelay), percentage: pct };
  }
  const abort = fault.abort;
  if (abort) {
    const percentage = abort.percentage
      ? fractionOfPercent(abort.percentage.value)
      : fractionOfInteger(0);
    if (abort.httpStatus !== undefined) out.abort = { http_status: abort.httpStatus, percentage };
    else if (abort.grpcStatus !== undefined && grpcStatusCode(abort.grpcStatus) !== undefined) {
      out.abort = { grpc_status: grpcStatusCode(abort.grpcStatus), percentage };
    }
  }
  return out.delay || out.abort ? out : undefined;
}
