// Istio's names for what the injector reads and writes, so tools that know
// Istio (istioctl, kubectl plugins, dashboards, Prometheus configs) work unchanged.

export const PROXY_CONTAINER = 'istio-proxy';
export const INIT_CONTAINER = 'istio-init';

/** The proxy's uid/gid: its own traffic is never captured. */
export const PROXY_UID = 1337;
export const PROXY_GID = 1337;

export const PORTS = {
  outboundCapture: 15001,
  inboundCapture: 15006,
  status: 15020,
  health: 15021,
  stats: 15090,
} as const;

export const LABEL = {
  namespaceInjection: 'istio-injection',
  revision: 'istio.io/rev',
  sidecarInject: 'sidecar.istio.io/inject',
  tlsMode: 'security.istio.io/tlsMode',
  canonicalName: 'service.istio.io/canonical-name',
  canonicalRevision: 'service.istio.io/canonical-revision',
} as const;

export const ANNOTATION = {
  /** Legacy per-pod switch; the label of the same name wins when both are set. */
  sidecarInject: 'sidecar.istio.io/inject',
  status: 'sidecar.istio.io/status',
  interceptionMode: 'sidecar.istio.io/interceptionMode',
  proxyCPU: 'sidecar.istio.io/proxyCPU',
  proxyMemory: 'sidecar.istio.io/proxyMemory',
  proxyCPULimit: 'sidecar.istio.io/proxyCPULimit',
  proxyMemoryLimit: 'sidecar.istio.io/proxyMemoryLimit',
  proxyImage: 'sidecar.istio.io/proxyImage',
  rewriteAppHTTPProbers: 'sidecar.istio.io/rewriteAppHTTPProbers',
  proxyConfig: 'proxy.istio.io/config',
  includeOutboundIPRanges: 'traffic.sidecar.istio.io/includeOutboundIPRanges',
  excludeOutboundIPRanges: 'traffic.sidecar.istio.io/excludeOutboundIPRanges',
  includeInboundPorts: 'traffic.sidecar.istio.io/includeInboundPorts',
  excludeInboundPorts: 'traffic.sidecar.istio.io/excludeInboundPorts',
  includeOutboundPorts: 'traffic.sidecar.istio.io/includeOutboundPorts',
  excludeOutboundPorts: 'traffic.sidecar.istio.io/excludeOutboundPorts',
  mergeMetrics: 'prometheus.istio.io/merge-metrics',
  prometheusScrape: 'prometheus.io/scrape',
  prometheusPort: 'prometheus.io/port',
  prometheusPath: 'prometheus.io/path',
  revision: 'istio.io/rev',
  defaultContainer: 'kubectl.kubernetes.io/default-container',
  defaultLogsContainer: 'kubectl.kubernetes.io/default-logs-container',
} as const;

/** Namespaces whose pods are never injected (Istio's IgnoredNamespaces). */
export const IGNORED_NAMESPACES: readonly string[] = ['kube-system', 'kube-public'];

/** The volumes the sidecar brings, in the order they are added. */
export const VOLUME = {
  envoy: 'istio-envoy',
  data: 'istio-data',
  podinfo: 'istio-podinfo',
  token: 'istio-token',
  caCert: 'istiod-ca-cert',
} as const;
