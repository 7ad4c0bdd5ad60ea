// Fields of Istio's API that Petrel accepts (they are valid Istio) but does not act
// on yet. Each one present in an object becomes a warning naming it, so nothing is
// silently ignored. Remove a path here in the same change that implements it.
// Path syntax: dots between fields, `[]` after an array field, `*` for any map key;
// a last segment `field=A|B` matches only when the field holds one of those values.

export const UNSUPPORTED_FIELDS: Record<string, readonly string[]> = {
  VirtualService: [
    'spec.http[].delegate',
    'spec.http[].retries.retryRemoteLocalities',
    'spec.http[].fault.delay.exponentialDelay',
    'spec.http[].fault.abort.http2Error',
    'spec.tcp[].match[].destinationSubnets',
    'spec.tcp[].match[].sourceSubnet',
    'spec.tls[].match[].destinationSubnets',
  ],
  DestinationRule: [
    'spec.trafficPolicy.tunnel',
    'spec.trafficPolicy.proxyProtocol',
    'spec.trafficPolicy.loadBalancer.localityLbSetting',
    'spec.subsets[].trafficPolicy.loadBalancer.localityLbSetting',
    // Deprecated in Istio, which no longer acts on it either: consecutive5xxErrors replaces it.
    'spec.trafficPolicy.outlierDetection.consecutiveErrors',
    'spec.trafficPolicy.portLevelSettings[].outlierDetection.consecutiveErrors',
    'spec.subsets[].trafficPolicy.outlierDetection.consecutiveErrors',
    'spec.workloadSelector',
  ],
  Gateway: [
    'spec.servers[].port.protocol=UDP|udp',
    'spec.servers[].bind',
    'spec.servers[].defaultEndpoint',
  ],
  ServiceEntry: ['spec.endpoints[].network', 'spec.workloadSelector', 'spec.subjectAltNames'],
  // Gateway API attachment (targetRef) is not built.
  AuthorizationPolicy: ['spec.targetRef', 'spec.targetRefs'],
  RequestAuthentication: ['spec.targetRef', 'spec.targetRefs'],
  // Service backends are served through the gateway (pilot/model/ingress); resource
  // backends (a bucket, a CRD) have no Istio equivalent, and Istio skips them too.
  Ingress: ['spec.defaultBackend.resource', 'spec.rules[].http.paths[].backend.resource'],
  // Istio's controller takes no parameters either.
  IngressClass: ['spec.parameters'],
  Sidecar: [
    // ingress ports, binds, capture modes and default endpoints are built (pilot/translate
    // cluster/sidecar-ingress.ts); TLS termination and per-listener pools are not.
    'spec.ingress[].tls',
    'spec.ingress[].connectionPool',
    'spec.inboundConnectionPool',
    'spec.outboundTrafficPolicy.egressProxy',
    // egress hosts scope what a sidecar sees; per-listener ports, binds and capture modes are not built.
    'spec.egress[].port',
    'spec.egress[].bind',
    'spec.egress[].captureMode',
  ],
};

/** Kinds accepted and stored, but not yet acted on at all. */
export const UNSUPPORTED_KINDS: Record<string, string> = {};

/** Every field path present in `obj` that matches one of `patterns`, concrete (`spec.http[2].delegate`). */
export function findFields(obj: unknown, patterns: readonly string[]): string[] {
  const found: string[] = [];
  for (const pattern of patterns) walk(obj, pattern.split('.'), '', found);
  return found;
}

function walk(value: unknown, segments: string[], at: string, found: string[]): void {
  if (segments.length === 0) {
    if (value !== undefined) found.push(at);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const [segment, ...rest] = segments as [string, ...string[]];
  const eq = rest.length === 0 ? segment.indexOf('=') : -1;
  if (eq > 0) {
    const field = segment.slice(0, eq);
    const child = (value as Record<string, unknown>)[field];
    if (
      segment
        .slice(eq + 1)
        .split('|')
        .includes(String(child))
    )
      found.push(at ? `${at}.${field}` : field);
    return;
  }
  const isArray = segment.endsWith('[]');
  const field = isArray ? segment.slice(0, -2) : segment;
  const keys = field === '*' ? Object.keys(value) : [field];
  for (const key of keys) {
    const child = (value as Record<string, unknown>)[key];
    const path = at ? `${at}.${key}` : key;
    if (isArray) {
      if (Array.isArray(child))
        child.forEach((item, i) => walk(item, rest, `${path}[${i}]`, found));
    } else walk(child, rest, path, found);
  }
}
