// The kinds Petrel accepts, with Istio's and Kubernetes' groups and versions, so
// existing YAML and `kubectl` work unchanged (DESIGN "APIs accepted").

export interface KindInfo {
  kind: string;
  group: string; // '' for the core group
  versions: readonly string[]; // served versions, preferred first
  plural: string;
  namespaced: boolean;
  /** Istio kinds have a `spec` validated by Petrel; core kinds are taken as Kubernetes gives them. */
  istio: boolean;
}

const NETWORKING = ['v1', 'v1beta1', 'v1alpha3'] as const;

export const KINDS: readonly KindInfo[] = [
  {
    kind: 'Gateway',
    group: 'networking.istio.io',
    versions: NETWORKING,
    plural: 'gateways',
    namespaced: true,
    istio: true,
  },
  {
    kind: 'VirtualService',
    group: 'networking.istio.io',
    versions: NETWORKING,
    plural: 'virtualservices',
    namespaced: true,
    istio: true,
  },
  {
    kind: 'DestinationRule',
    group: 'networking.istio.io',
    versions: NETWORKING,
    plural: 'destinationrules',
    namespaced: true,
    istio: true,
  },
  {
    kind: 'ServiceEntry',
    group: 'networking.istio.io',
    versions: NETWORKING,
    plural: 'serviceentries',
    namespaced: true,
    istio: true,
  },
  {
    kind: 'Sidecar',
    group: 'networking.istio.io',
    versions: NETWORKING,
    plural: 'sidecars',
    namespaced: true,
    istio: true,
  },
  {
    kind: 'PeerAuthentication',
    group: 'security.istio.io',
    versions: ['v1', 'v1beta1'],
    plural: 'peerauthentications',
    namespaced: true,
    istio: true,
  },
  {
    kind: 'AuthorizationPolicy',
    group: 'security.istio.io',
    versions: ['v1', 'v1beta1'],
    plural: 'authorizationpolicies',
    namespaced: true,
    istio: true,
  },
  {
    kind: 'RequestAuthentication',
    group: 'security.istio.io',
    versions: ['v1', 'v1beta1'],
    plural: 'requestauthentications',
    namespaced: true,
    istio: true,
  },
  // Petrel's own rate limit API (api/petrel/README.md). Its spec is validated like an Istio
  // kind's (api/istio/schemas.ts), but it has no generated CRD yet (api/crd names it nowhere).
  {
    kind: 'LocalRateLimit',
    group: 'petrel.dev',
    versions: ['v1alpha1'],
    plural: 'localratelimits',
    namespaced: true,
    istio: false,
  },
  {
    kind: 'Service',
    group: '',
    versions: ['v1'],
    plural: 'services',
    namespaced: true,
    istio: false,
  },
  {
    kind: 'Endpoints',
    group: '',
    versions: ['v1'],
    plural: 'endpoints',
    namespaced: true,
    istio: false,
  },
  {
    kind: 'EndpointSlice',
    group: 'discovery.k8s.io',
    versions: ['v1'],
    plural: 'endpointslices',
    namespaced: true,
    istio: false,
  },
  { kind: 'Pod', group: '', versions: ['v1'], plural: 'pods', namespaced: true, istio: false },
  {
    kind: 'Namespace',
    group: '',
    versions: ['v1'],
    plural: 'namespaces',
    namespaced: false,
    istio: false,
  },
  {
    kind: 'Secret',
    group: '',
    versions: ['v1'],
    plural: 'secrets',
    namespaced: true,
    istio: false,
  },
  {
    kind: 'Ingress',
    group: 'networking.k8s.io',
    versions: ['v1'],
    plural: 'ingresses',
    namespaced: true,
    istio: false,
  },
  // Which controller serves an Ingress class (pilot's: istio.io/ingress-controller).
  {
    kind: 'IngressClass',
    group: 'networking.k8s.io',
    versions: ['v1'],
    plural: 'ingressclasses',
    namespaced: false,
    istio: false,
  },
];

const byKind = new Map(KINDS.map((k) => [k.kind, k]));

export function kindInfo(kind: string): KindInfo | undefined {
  return byKind.get(kind);
}

/** Looks a kind up by `apiVersion` + `kind`; undefined when Petrel does not accept that pair. */
export function resolveKind(apiVersion: string, kind: string): KindInfo | undefined {
  const info = byKind.get(kind);
  if (!info) return undefined;
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return info.group === group && info.versions.includes(version) ? info : undefined;
}

export function apiVersionOf(info: KindInfo): string {
  return info.group ? `${info.group}/${info.versions[0]}` : info.versions[0]!;
}
