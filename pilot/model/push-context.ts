// buildPushContext: one immutable, indexed view of a config snapshot, built once
// per push and only read by generators (Istio's PushContext). Lookups hit
// indexes built here or caches filled on first use (per namespace, per Sidecar
// scope, per gateway label set), never scans over every service per call.
import type { ConfigSnapshot } from '../config/types.ts';
import type { Proxy } from './proxy.ts';
import type {
  DestinationRule,
  Endpoint,
  Gateway,
  MeshConfig,
  PushContext,
  Service,
  Sidecar,
  VirtualService,
} from './types.ts';
import type { ModelDiagnostic } from './errors.ts';
import { KINDS } from '../../api/config/kinds.ts';
import { keyOf } from '../../api/config/object.ts';
import { meshConfig } from './mesh-config.ts';
import { resolveShortName } from './hosts.ts';
import { labelsKey } from './labels.ts';
import { buildWorkloads, type WorkloadIndex } from './service-registry/workloads.ts';
import { buildServiceIndex } from './service-registry/build-registry.ts';
import type { ServiceIndex } from './service-registry/service-index.ts';
import { SidecarIndex } from './sidecar-scope.ts';
import { VirtualServiceIndex, destinationHosts } from './virtual-service-index.ts';
import { DestinationRuleIndex } from './destination-rule-index.ts';
import { GatewayIndex } from './gateway-index.ts';
import { servicesOfProxy } from './proxy-services.ts';
import { SecurityPolicyIndex, type WorkloadPolicies } from './authorization.ts';
import {
  PeerAuthenticationIndex,
  type EffectiveMode,
  type EffectiveMtls,
} from './peer-authentication.ts';
import { CredentialIndex, type Credential } from './credentials.ts';
import { withIngresses } from './ingress/snapshot.ts';

export interface BuildPushContextOptions {
  mesh?: Partial<MeshConfig>;
  /** The push version; default the snapshot's revision (pass one when only mesh settings changed). */
  version?: string;
}

/** Kinds the model reads besides those api/config/kinds.ts accepts (Node topology labels, when a source provides them). */
const EXTRA_KINDS = ['Node'];

export function buildPushContext(
  snapshot: ConfigSnapshot,
  options: BuildPushContextOptions = {},
): PushContext {
  return new SnapshotPushContext(snapshot, options);
}

class SnapshotPushContext implements PushContext {
  readonly version: string;
  readonly mesh: MeshConfig;
  readonly configKeys: ReadonlySet<string>;
  readonly diagnostics: readonly ModelDiagnostic[];
  readonly #workloads: WorkloadIndex;
  readonly #services: ServiceIndex;
  readonly #namespaces: ReadonlySet<string>;
  readonly #sidecars: SidecarIndex;
  readonly #virtualServices: VirtualServiceIndex;
  readonly #destinationRules: DestinationRuleIndex;
  readonly #gateways: GatewayIndex;
  readonly #security: SecurityPolicyIndex;
  readonly #peerAuthn: PeerAuthenticationIndex;
  readonly #credentials: CredentialIndex;
  readonly #scopedServices = new Map<string, readonly Service[]>();
  readonly #proxyServices = new Map<string, readonly { service: Service; endpoint: Endpoint }[]>();

  constructor(stored: ConfigSnapshot, options: BuildPushContextOptions) {
    this.mesh = meshConfig(options.mesh);
    this.version = options.version ?? String(stored.revision);
    const diagnostics: ModelDiagnostic[] = [];
    // Kubernetes Ingresses pilot owns join as Gateways and VirtualServices (pilot/model/ingress).
    const snapshot = withIngresses(stored, this.mesh, diagnostics);
    const keys = new Set<string>();
    const namespaces = new Set<string>();
    for (const kind of [...KINDS.map((k) => k.kind), ...EXTRA_KINDS]) {
      for (const obj of snapshot.list(kind)) {
        keys.add(keyOf(obj));
        if (obj.metadata.namespace) namespaces.add(obj.metadata.namespace);
        else if (kind === 'Namespace') namespaces.add(obj.metadata.name);
      }
    }
    this.configKeys = keys;
    this.#namespaces = namespaces;
    this.#workloads = buildWorkloads(snapshot, diagnostics);
    this.#services = buildServiceIndex(snapshot, this.mesh, this.#workloads, diagnostics);
    const resolve = (host: string, namespace: string) => this.resolveHost(host, namespace);
    this.#sidecars = new SidecarIndex(snapshot, this.mesh.rootNamespace);
    this.#virtualServices = new VirtualServiceIndex(
      snapshot,
      resolve,
      this.mesh.defaultVirtualServiceExportTo ?? ['*'],
    );
    this.#destinationRules = new DestinationRuleIndex(
      snapshot,
      resolve,
      this.mesh.defaultDestinationRuleExportTo ?? ['*'],
      this.mesh.rootNamespace,
    );
    this.#gateways = new GatewayIndex(snapshot);
    this.#security = new SecurityPolicyIndex(snapshot, this.mesh.rootNamespace);
    this.#peerAuthn = new PeerAuthenticationIndex(snapshot, this.mesh.rootNamespace);
    this.#credentials = new CredentialIndex(snapshot);
    this.diagnostics = Object.freeze(diagnostics.map((d) => Object.freeze(d)));
    Object.freeze(this);
  }

  resolveHost(host: string, namespace: string): string {
    return resolveShortName(host, namespace, this.mesh.clusterDomain, this.#namespaces);
  }

  service(hostname: string, namespace: string): Service | undefined {
    return this.#services.lookup(hostname, namespace);
  }

  servicesNamed(hostname: string): readonly Service[] {
    return this.#services.named(hostname);
  }

  servicesFor(proxy: Proxy): readonly Service[] {
    const sidecar = this.sidecarFor(proxy);
    if (!sidecar) return this.#services.visibleFrom(proxy.namespace);
    const scope = this.#sidecars.scope(sidecar, proxy.namespace);
    let out = this.#scopedServices.get(scope.key);
    if (!out) {
      const picked = new Map<string, Service>();
      for (const s of this.#services.visibleFrom(proxy.namespace))
        if (scope.admits(s.namespace, s.hostname)) picked.set(s.hostname, s);
      // As Istio: the services an imported VirtualService routes to are imported too,
      // or its routes would point at clusters the proxy does not have.
      for (const vs of this.#virtualServices.forScope(proxy.namespace, scope)) {
        for (const host of destinationHosts(vs.spec)) {
          if (picked.has(host)) continue;
          const s = this.#services.lookup(host, proxy.namespace);
          if (s) picked.set(host, s);
        }
      }
      out = Object.freeze(
        [...picked.values()].sort((a, b) =>
          a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0,
        ),
      );
      this.#scopedServices.set(scope.key, out);
    }
    return out;
  }

  endpoints(
    hostname: string,
    port: number,
    subsetLabels?: Record<string, string>,
    namespace?: string,
  ): readonly Endpoint[] {
    return this.#services.endpoints(hostname, port, subsetLabels, namespace);
  }

  virtualServicesForSidecar(proxy: Proxy): readonly VirtualService[] {
    const sidecar = this.sidecarFor(proxy);
    if (!sidecar) return this.#virtualServices.forMesh(proxy.namespace);
    return this.#virtualServices.forScope(
      proxy.namespace,
      this.#sidecars.scope(sidecar, proxy.namespace),
    );
  }

  virtualServicesForGateway(gateway: string, proxyNamespace?: string): readonly VirtualService[] {
    return this.#virtualServices.forGateway(
      gateway,
      proxyNamespace ?? gateway.slice(0, Math.max(0, gateway.indexOf('/'))),
    );
  }

  destinationRule(
    proxyNamespace: string,
    hostname: string,
    proxyLabels?: Record<string, string>,
  ): DestinationRule | undefined {
    const serviceNamespace = this.#services.lookup(hostname, proxyNamespace)?.namespace;
    return this.#destinationRules.lookup(proxyNamespace, hostname, serviceNamespace, proxyLabels);
  }

  gatewaysFor(proxy: Proxy): readonly Gateway[] {
    return this.#gateways.forProxy(proxy);
  }

  gateway(name: string): Gateway | undefined {
    return this.#gateways.byName(name);
  }

  virtualService(namespace: string, name: string): VirtualService | undefined {
    return this.#virtualServices.byName(namespace, name);
  }

  sidecarFor(proxy: Proxy): Sidecar | undefined {
    return this.#sidecars.forProxy(proxy);
  }

  servicesOfProxy(proxy: Proxy): readonly { service: Service; endpoint: Endpoint }[] {
    // Asked by a proxy's listener and cluster generation alike on every push:
    // kept per push, keyed by what servicesOfProxy reads of the proxy.
    const key = JSON.stringify([
      proxy.ips,
      proxy.podName,
      proxy.namespace,
      labelsKey(proxy.labels),
      proxy.serviceAccount,
      proxy.workloadName,
    ]);
    let out = this.#proxyServices.get(key);
    if (!out) {
      out = servicesOfProxy(proxy, this.#services, this.#workloads);
      this.#proxyServices.set(key, out);
    }
    return out;
  }

  workloadPolicies(proxy: Proxy): WorkloadPolicies {
    return this.#security.forWorkload(proxy.namespace, proxy.labels);
  }

  peerAuthentication(proxy: Proxy): EffectiveMtls {
    return this.#peerAuthn.forWorkload(proxy.namespace, proxy.labels);
  }

  serviceMtlsMode(service: Service): EffectiveMode {
    return service.meshExternal ? 'DISABLE' : this.#peerAuthn.namespaceMode(service.namespace);
  }

  credential(namespace: string, name: string): Credential | undefined {
    return this.#credentials.get(namespace, name);
  }
}
