// DestinationRule connectionPool → Envoy circuit breaker thresholds. Istio raises
// every threshold to the maximum by default (Envoy's defaults of 1024 connections and
// 3 retries cause 503s during pod churn), then lowers the ones the user sets.
import type { ConnectionPoolSettings } from '../../../api/istio/index.ts';
import { u32 } from '../common/envoy.ts';

const UINT32_MAX = 4294967295;

export function circuitBreakers(pool: ConnectionPoolSettings | undefined): Record<string, unknown> {
  const positive = (n: number | undefined) => (n !== undefined && n > 0 ? n : UINT32_MAX);
  return {
    thresholds: [
      {
        max_connections: u32(positive(pool?.tcp?.maxConnections)),
        // Envoy applies max_pending_requests to HTTP/1.1 and max_requests to HTTP/2 pools.
        max_pending_requests: u32(positive(pool?.http?.http1MaxPendingRequests)),
        max_requests: u32(positive(pool?.http?.http2MaxRequests)),
        max_retries: u32(positive(pool?.http?.maxRetries)),
        track_remaining: true,
      },
    ],
  };
}
