// Fields of Istio's API that Petrel accepts (they are valid Istio) but does not act
// on yet. Each one present in an object becomes a warning naming it, so nothing is
// silently ignored. Remove a path here in the same change that implements it.
// Path syntax: dots between fields, `[]` after an array field, `*` for any map key.

export const UNSUPPORTED_FIELDS: Record<string, readonly string[]> = {
  VirtualService: [
    'spec.http[].delegate',
    'spec.http[].match[].sourceNamespace',
    'spec.http[].match[].statPrefix',
    'spec.http[].retries.retryRemoteLocalities',
    'spec.http[].fault.delay.exponentialDelay',
    'spec.http[].fault.abort.http2Error',
    'spec.http[].corsPolicy.unmatchedPreflights',
    'spec.tcp[].match[].sourceNamespace',
    'spec.tls[].match[].sourceNamespace',
  ],
  DestinationRule: [
    'spec.trafficPolicy.tunnel',
    'spec.trafficPolicy.proxyProtocol',
    'spec.trafficPolicy.loadBalancer.localityLbSetting',
    'spec.trafficPolicy.loadBalancer.warmupDurationSecs',
    'spec.trafficPolicy.connectionPool.tcp.tcpKeepalive',
    'spec.trafficPolicy.connectionPool.tcp.maxConnectionDuration',
    'spec.trafficPolicy.tls.caCrl',
    'spec.subsets[].trafficPolicy.loadBalancer.localityLbSetting',
    'spec.workloadSelector',
  ],
  Gateway: [
    'spec.servers[].tls.mode',
    'spec.servers[].tls.credentialName',
    'spec.servers[].tls.credentialNames',
    'spec.servers[].tls.serverCertificate',
    'spec.servers[].tls.privateKey',
    'spec.servers[].tls.caCertificates',
    'spec.servers[].tls.caCrl',
    'spec.servers[].tls.subjectAltNames',
    'spec.servers[].tls.verifyCertificateSpki',
    'spec.servers[].tls.verifyCertificateHash',
    'spec.servers[].tls.minProtocolVersion',
    'spec.servers[].tls.maxProtocolVersion',
    'spec.servers[].tls.cipherSuites',
    'spec.servers[].bind',
    'spec.servers[].defaultEndpoint',
  ],
  ServiceEntry: ['spec.endpoints[].network', 'spec.workloadSelector', 'spec.subjectAltNames'],
  Sidecar: ['spec.ingress', 'spec.inboundConnectionPool', 'spec.outboundTrafficPolicy.egressProxy'],
};

/** Kinds accepted and stored, but not yet acted on at all. */
export const UNSUPPORTED_KINDS: Record<string, string> = {
  PeerAuthentication: 'mTLS policy is not enforced yet',
  AuthorizationPolicy: 'authorization is not enforced yet',
  RequestAuthentication: 'JWT authentication is not enforced yet',
};

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
  const isArray = segment.endsWith('[]');
  const field = isArray ? segment.slice(0, -2) : segment;
  const keys = field === '*' ? Object.keys(value) : [field];
  for (const key of keys) {
    const child = (value as Record<string, unknown>)[key];
    const path = at ? `${at}.${key}` : key;
    if (isArray) {
      if (Array.isArray(child)) child.forEach((item, i) => walk(item, rest, `${path}[${i}]`, found));
    } else walk(child, rest, path, found);
  }
}
