// Istio's inline route configuration for an inbound HTTP chain: everything to one
// cluster (the workload port's, or the inbound passthrough), no timeout, no retries.
export function inboundRouteConfig(
  cluster: string,
  virtualHost: string,
  operation: string,
): Record<string, unknown> {
  return {
    name: cluster,
    virtual_hosts: [
      {
        name: virtualHost,
        domains: ['*'],
        routes: [
          {
            name: 'default',
            match: { prefix: '/' },
            route: {
              cluster,
              timeout: '0s',
              max_stream_duration: { max_stream_duration: '0s', grpc_timeout_header_max: '0s' },
            },
            decorator: { operation },
          },
        ],
      },
    ],
    validate_clusters: { value: false },
  };
}
