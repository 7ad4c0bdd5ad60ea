// What the injector is told at start: its revision, the proxy image, the
// cluster facts it cannot see in an AdmissionReview. Defaults are Istio's.
import { readFileSync } from 'node:fs';
import { InjectorError } from './errors.ts';

export type InjectionPolicy = 'enabled' | 'disabled';

export interface InjectorConfig {
  /** The control-plane revision this injector serves (`istio.io/rev`); Istio's default is `default`. */
  revision: string;
  /** Image of both injected containers (one image serves every `petrel` role). */
  proxyImage: string;
  /**
   * Istio's `policy`: `enabled` injects every selected pod unless it opts out with
   * `sidecar.istio.io/inject: "false"`; `disabled` injects only pods that opt in.
   */
  policy: InjectionPolicy;
  /** Put the proxy in initContainers with restartPolicy Always (Istio's ENABLE_NATIVE_SIDECARS). */
  nativeSidecars: boolean;
  /** Inject pods in namespaces with no injection label (Istio's enableNamespacesByDefault). */
  enableNamespacesByDefault: boolean;
  /** Mesh-wide default of ProxyConfig.holdApplicationUntilProxyStarts; a pod's proxy.istio.io/config wins. */
  holdApplicationUntilProxyStarts: boolean;
  /** Rewrite app probes through the agent (Istio's sidecarInjectorWebhook.rewriteAppHTTPProbe). */
  rewriteAppProbers: boolean;
  /** Where the proxy finds pilot: xDS and the CA over TLS. */
  xdsAddress: string;
  clusterId: string;
  trustDomain: string;
  meshId: string;
  /** The namespace the control plane runs in, for its service names. */
  systemNamespace: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function petrelVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? '0.0.0';
}

/** `istiod` for the default revision, `istiod-<rev>` otherwise, as Istio names the service. */
export function istiodServiceName(revision: string): string {
  return revision === 'default' ? 'istiod' : `istiod-${revision}`;
}

export function injectorConfig(partial: Partial<InjectorConfig> = {}): InjectorConfig {
  const revision = partial.revision ?? 'default';
  if (!DNS_LABEL.test(revision) || revision.length > 63) {
    throw new InjectorError(
      'PETREL_INJECT_OPTION',
      `revision ${JSON.stringify(revision)}: must be a lowercase DNS-1123 label`,
    );
  }
  // istiod takes its own namespace (POD_NAMESPACE from the downward API) as the
  // system namespace: webhook configuration names, service DNS names and the xDS
  // address follow wherever the chart installed it.
  const systemNamespace = partial.systemNamespace ?? (process.env.POD_NAMESPACE || 'istio-system');
  const trustDomain = partial.trustDomain ?? 'cluster.local';
  const config: InjectorConfig = {
    revision,
    proxyImage: partial.proxyImage ?? `petrel/petrel:${petrelVersion()}`,
    policy: partial.policy ?? 'enabled',
    nativeSidecars: partial.nativeSidecars ?? false,
    enableNamespacesByDefault: partial.enableNamespacesByDefault ?? false,
    holdApplicationUntilProxyStarts: partial.holdApplicationUntilProxyStarts ?? false,
    rewriteAppProbers: partial.rewriteAppProbers ?? true,
    xdsAddress: partial.xdsAddress ?? `${istiodServiceName(revision)}.${systemNamespace}.svc:15012`,
    clusterId: partial.clusterId ?? 'Kubernetes',
    trustDomain,
    meshId: partial.meshId ?? trustDomain,
    systemNamespace,
  };
  if (!config.proxyImage.trim() || /\s/.test(config.proxyImage)) {
    throw new InjectorError(
      'PETREL_INJECT_OPTION',
      `proxy image ${JSON.stringify(config.proxyImage)}: must be a non-empty image reference`,
    );
  }
  if (config.policy !== 'enabled' && config.policy !== 'disabled') {
    throw new InjectorError(
      'PETREL_INJECT_OPTION',
      `policy ${JSON.stringify(config.policy)}: must be enabled or disabled`,
    );
  }
  return config;
}
