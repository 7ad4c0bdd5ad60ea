// The service model generators read: what the mesh knows after indexing the
// config store (Services + EndpointSlices + Pods, ServiceEntries, Istio config).
import type { ConfigObject } from '../../api/config/object.ts';
import type {
  DestinationRuleSpec,
  GatewaySpec,
  SidecarSpec,
  VirtualServiceSpec,
} from '../../api/istio/index.ts';
import type { Proxy } from './proxy.ts';
import type { WorkloadPolicies } from './authorization.ts';
import type { EffectiveMode, EffectiveMtls } from './peer-authentication.ts';
import type { Credential } from './credentials.ts';
import type { ExtensionProvider } from './mesh-providers.ts';

export type { EffectiveMode, EffectiveMtls } from './peer-authentication.ts';
export type { Credential } from './credentials.ts';
export type {
  EnvoyExtAuthzGrpc,
  EnvoyExtAuthzHttp,
  ExtAuthzRequestBody,
  ExtensionProvider,
} from './mesh-providers.ts';
export type {
  AuthorizationPolicy,
  LocalRateLimit,
  RequestAuthentication,
  WorkloadPolicies,
} from './authorization.ts';

/** Istio's protocol names; 'UNSPECIFIED' means sniffed at runtime (Istio's auto-detection). */
export type Protocol =
  | 'HTTP'
  | 'HTTP2'
  | 'GRPC'
  | 'GRPC-WEB'
  | 'HTTPS'
  | 'TCP'
  | 'TLS'
  | 'MONGO'
  | 'REDIS'
  | 'MYSQL'
  | 'UDP'
  | 'UNSPECIFIED';

export interface ServicePort {
  name: string;
  port: number;
  /** The port on the workload: a number, or a named container port resolved per endpoint. */
  targetPort?: number | string;
  protocol: Protocol;
}

export type Resolution = 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN' | 'PASSTHROUGH';

export interface Service {
  /** Fully qualified: `reviews.default.svc.cluster.local`, or a ServiceEntry host. */
  hostname: string;
  name: string;
  namespace: string;
  ports: ServicePort[];
  /** ClusterIP(s) or ServiceEntry addresses; empty for headless/none. */
  addresses: string[];
  resolution: Resolution;
  meshExternal: boolean;
  /** Normalised exportTo: '*' (all), '.' replaced by the namespace, '~' (none). */
  exportTo: readonly string[];
  labels: Record<string, string>;
  /** Pod selector (Kubernetes) or workloadSelector (ServiceEntry), when it has one. */
  selector?: Record<string, string>;
  headless: boolean;
  externalName?: string;
  source: 'kubernetes' | 'serviceentry';
  /** Key of the object it came from, for diagnostics (`Service/default/reviews`). */
  origin: string;
}

export interface Locality {
  region: string;
  zone: string;
  subzone: string;
}

export interface Endpoint {
  /** IP, or a hostname for DNS-resolved ServiceEntry endpoints. */
  address: string;
  /** The workload port traffic goes to. */
  port: number;
  /** The service port (number) this endpoint serves. */
  servicePort: number;
  servicePortName: string;
  labels: Record<string, string>;
  healthy: boolean;
  /** Kubernetes EndpointSlice `terminating`/not serving: Envoy's DRAINING. */
  draining: boolean;
  locality: Locality;
  namespace: string;
  serviceAccount?: string;
  workloadName?: string;
  podName?: string;
  weight?: number;
  /** 'istio' when the workload runs a sidecar (mTLS capable), as Istio's security.istio.io/tlsMode label. */
  tlsMode: 'istio' | 'disabled';
}

/** An Istio config object after validation, with its parsed spec. */
export type IstioConfig<Spec> = ConfigObject<Spec> & { spec: Spec };

export type VirtualService = IstioConfig<VirtualServiceSpec>;
export type DestinationRule = IstioConfig<DestinationRuleSpec>;
export type Gateway = IstioConfig<GatewaySpec>;
export type Sidecar = IstioConfig<SidecarSpec>;

/**
 * One immutable, indexed view of everything at one version, built once per push
 * and only read by generators (Istio's PushContext). Visibility rules (exportTo,
 * Sidecar egress hosts, namespace-local precedence) are applied here, not in generators.
 */
export interface PushContext {
  readonly version: string;
  /** Mesh-wide settings (trust domain, default timeouts, …). */
  readonly mesh: MeshConfig;
  /** Every service this proxy may see (exportTo + Sidecar egress), sorted by hostname. */
  servicesFor(proxy: Proxy): readonly Service[];
  /** A service by exact hostname, as seen from `namespace` (exportTo applied). */
  service(hostname: string, namespace: string): Service | undefined;
  /**
   * Every service named `hostname` (one per namespace defining it), whatever its
   * exportTo: Istio's ServiceIndex.HostnameAndNamespace, for mesh-wide references
   * like an extension provider's `service`.
   */
  servicesNamed?(hostname: string): readonly Service[];
  /** Short-name resolution as Istio does: `reviews` in ns `default` → `reviews.default.svc.cluster.local`. */
  resolveHost(host: string, namespace: string): string;
  /**
   * Endpoints of one service port, optionally only those matching subset labels.
   * `namespace`: the proxy's, to pick the service visible from there when several
   * namespaces define the hostname (ServiceEntries); default: the preferred one.
   */
  endpoints(
    hostname: string,
    port: number,
    subsetLabels?: Record<string, string>,
    namespace?: string,
  ): readonly Endpoint[];
  /** VirtualServices visible to `proxy` that apply to sidecars (gateways empty or containing `mesh`), in Istio's precedence order. */
  virtualServicesForSidecar(proxy: Proxy): readonly VirtualService[];
  /**
   * VirtualServices bound to a gateway (`namespace/name`), visible from `proxyNamespace`
   * (the gateway workload's namespace, as Istio checks exportTo; default: the Gateway's namespace).
   */
  virtualServicesForGateway(gateway: string, proxyNamespace?: string): readonly VirtualService[];
  /**
   * The DestinationRule that applies to `hostname` for a proxy in `proxyNamespace` (Istio's lookup order, merged).
   * Rules with a workloadSelector are considered only when `proxyLabels` are given and match.
   */
  destinationRule(
    proxyNamespace: string,
    hostname: string,
    proxyLabels?: Record<string, string>,
  ): DestinationRule | undefined;
  /** Gateways whose selector matches the router proxy's labels (in its namespace or, as Istio, any namespace). */
  gatewaysFor(proxy: Proxy): readonly Gateway[];
  /** The Sidecar resource scoping this proxy, if any. */
  sidecarFor(proxy: Proxy): Sidecar | undefined;
  /** Services whose endpoints include this proxy's IPs: the inbound side of a sidecar. */
  servicesOfProxy(proxy: Proxy): readonly { service: Service; endpoint: Endpoint }[];
  /** Every ConfigObject key that went into this push, for dependency tracking. */
  readonly configKeys: ReadonlySet<string>;
  /** A Gateway by `namespace/name` (what a VirtualService's `gateways` entry names). */
  gateway?(name: string): Gateway | undefined;
  /** A VirtualService by namespace and name, hosts resolved (delegates included). */
  virtualService?(namespace: string, name: string): VirtualService | undefined;
  /** Problems met while indexing (objects skipped, host conflicts), one line each. */
  readonly diagnostics?: readonly { code: string; message: string }[];
  /**
   * AuthorizationPolicies, RequestAuthentications and LocalRateLimits selecting this
   * proxy's workload (root namespace + own namespace, by labels), as Istio selects them.
   */
  workloadPolicies?(proxy: Proxy): WorkloadPolicies;
  /** The PeerAuthentication in force for this proxy's workload (mesh, namespace, workload, port). */
  peerAuthentication?(proxy: Proxy): EffectiveMtls;
  /**
   * Istio's best-effort guess of a service's server-side mTLS mode from mesh and
   * namespace policies (BestEffortInferServiceMTLSMode): auto mTLS stays off for DISABLE.
   */
  serviceMtlsMode?(service: Service): EffectiveMode;
  /** A gateway credential (credentialName) from the Secret `name` in `namespace`. */
  credential?(namespace: string, name: string): Credential | undefined;
}

export interface MeshConfig {
  trustDomain: string;
  /** Default `cluster.local`. */
  clusterDomain: string;
  /** Istio's default connect timeout, 10s. */
  connectTimeoutMs: number;
  /** ALLOW_ANY (passthrough) or REGISTRY_ONLY for unknown outbound destinations. */
  outboundTrafficPolicy: 'ALLOW_ANY' | 'REGISTRY_ONLY';
  /** Whether auto mTLS is on (Istio default true). */
  enableAutoMtls: boolean;
  rootNamespace: string;
  /** Istio's defaultServiceExportTo / defaultVirtualServiceExportTo / defaultDestinationRuleExportTo (default ['*']). */
  defaultServiceExportTo?: readonly string[];
  defaultVirtualServiceExportTo?: readonly string[];
  defaultDestinationRuleExportTo?: readonly string[];
  /**
   * Istio's ingressClass: Kubernetes Ingresses of this class (ingressClassName, or the
   * legacy kubernetes.io/ingress.class annotation) are served by the gateway. Petrel: `petrel`.
   */
  ingressClass: string;
  /** OFF: no Ingress served; STRICT (Istio's default): only those of our class; DEFAULT: those with no class too. */
  ingressControllerMode: IngressControllerMode;
  /** The gateway's Service (in ingressNamespace) whose load balancer addresses go to Ingress status. */
  ingressService: string;
  /** `istio` label value of the gateway pods serving Ingresses; default from ingressService, else `ingressgateway`. */
  ingressSelector?: string;
  /** Namespace of the Gateways made from Ingresses and of ingressService (Istio's K8S_INGRESS_NS). */
  ingressNamespace: string;
  /**
   * Istio's extensionProviders: the ext_authz ones, which AuthorizationPolicies with
   * action CUSTOM name (pilot/model/mesh-providers.ts); a bad one carries its problem.
   */
  extensionProviders?: readonly ExtensionProvider[];
}

export type IngressControllerMode = 'OFF' | 'STRICT' | 'DEFAULT';
