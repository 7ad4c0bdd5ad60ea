// istio_* metrics shaped like the sample mesh's proxies report them (reporter=source),
// for dashboard tests: `calls` requests per edge, `errors` of them 503, all taking
// `ms` milliseconds, in Envoy's exposition layout (TYPE, no HELP).
const BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export interface Call {
  from: string;
  fromNs?: string;
  service: string;
  to: string;
  version: string;
  calls: number;
  errors?: number;
  ms?: number;
}

export const SAMPLE_CALLS: Call[] = [
  {
    from: 'istio-ingressgateway',
    fromNs: 'istio-system',
    service: 'productpage',
    to: 'productpage-v1',
    version: 'v1',
    calls: 100,
  },
  { from: 'productpage-v1', service: 'details', to: 'details-v1', version: 'v1', calls: 100 },
  { from: 'productpage-v1', service: 'reviews', to: 'reviews-v1', version: 'v1', calls: 50 },
  { from: 'productpage-v1', service: 'reviews', to: 'reviews-v2', version: 'v2', calls: 25 },
  { from: 'productpage-v1', service: 'reviews', to: 'reviews-v3', version: 'v3', calls: 25 },
  {
    from: 'reviews-v2',
    service: 'ratings',
    to: 'ratings-v1',
    version: 'v1',
    calls: 25,
    errors: 5,
    ms: 30,
  },
  { from: 'reviews-v3', service: 'ratings', to: 'ratings-v1', version: 'v1', calls: 25 },
];

function labels(c: Call, code: string): string {
  const l: Record<string, string> = {
    reporter: 'source',
    source_workload: c.from,
    source_workload_namespace: c.fromNs ?? 'default',
    source_app: c.from.replace(/-v\d+$/, ''),
    destination_workload: c.to,
    destination_workload_namespace: 'default',
    destination_app: c.service,
    destination_version: c.version,
    destination_service: `${c.service}.default.svc.cluster.local`,
    destination_service_name: c.service,
    destination_service_namespace: 'default',
    response_code: code,
    response_flags: '-',
  };
  return Object.entries(l)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
}

/** One proxy's /stats/prometheus text for the calls it made, scaled by `factor`. */
export function exposition(calls: readonly Call[], factor = 1): string {
  const out = ['# TYPE istio_requests_total counter'];
  for (const c of calls) {
    const errors = Math.round((c.errors ?? 0) * factor);
    const ok = Math.round(c.calls * factor) - errors;
    out.push(`istio_requests_total{${labels(c, '200')}} ${ok}`);
    if (errors) out.push(`istio_requests_total{${labels(c, '503')}} ${errors}`);
  }
  out.push('# TYPE istio_request_duration_milliseconds histogram');
  for (const c of calls) {
    const n = Math.round(c.calls * factor);
    const ms = c.ms ?? 4;
    const l = labels(c, '200');
    for (const b of BUCKETS)
      out.push(`istio_request_duration_milliseconds_bucket{${l},le="${b}"} ${ms <= b ? n : 0}`);
    out.push(`istio_request_duration_milliseconds_bucket{${l},le="+Inf"} ${n}`);
    out.push(`istio_request_duration_milliseconds_sum{${l}} ${n * ms}`);
    out.push(`istio_request_duration_milliseconds_count{${l}} ${n}`);
  }
  out.push('# TYPE envoy_server_uptime gauge', 'envoy_server_uptime{} 12');
  return `${out.join('\n')}\n`;
}
