// Whether a pod gets a sidecar: Istio's rules as one pure function.
//
// In Istio the decision is split in two. The API server first picks which
// webhook (if any) to call, from the namespace and object selectors of the
// revision's MutatingWebhookConfiguration:
//   istio-injection=enabled on the namespace      → the default revision
//   istio.io/rev=<rev> on the namespace            → that revision
//   neither, istio.io/rev=<rev> on the pod         → that revision
//   neither, pod label sidecar.istio.io/inject=true → the default revision
//   neither label anywhere                         → only with enableNamespacesByDefault
//   every webhook skips pods labelled sidecar.istio.io/inject=false, and
//   istio-injection=disabled (or any value but enabled) matches no webhook.
// Then the injector applies its own `injectRequired`: host-network pods and
// kube-system/kube-public are never injected; the pod's sidecar.istio.io/inject
// label (or the legacy annotation; the label wins) forces true/false; otherwise
// the default policy decides. (istio.io docs, "Installing the Sidecar" →
// "Controlling the injection policy"; pkg/kube/inject/inject.go.)
//
// Petrel evaluates the selector part again when it knows the namespace's labels,
// so a webhook registered without selectors still behaves like Istio's. Without
// them (no Kubernetes client) it trusts that the API server already selected.
import type { InjectionPolicy } from './config.ts';
import { ANNOTATION, IGNORED_NAMESPACES, LABEL, PROXY_CONTAINER } from './names.ts';
import type { Pod } from './pod-types.ts';

export interface InjectionSubject {
  namespace: string;
  /** The namespace's labels; undefined when unknown (the webhook's namespaceSelector already applied). */
  namespaceLabels?: Record<string, string>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  hostNetwork: boolean;
  /** Names of every container and init container. */
  containerNames: readonly string[];
}

export interface PolicySettings {
  revision: string;
  policy: InjectionPolicy;
  enableNamespacesByDefault: boolean;
}

export interface InjectionDecision {
  inject: boolean;
  /** Why, in a few words (logged, and returned in the admission warnings for opt-in mistakes). */
  reason: string;
  /** Problems worth telling the user even though the request is allowed. */
  warnings: string[];
}

export function subjectOf(
  pod: Pod,
  namespace: string,
  namespaceLabels?: Record<string, string>,
): InjectionSubject {
  return {
    namespace,
    ...(namespaceLabels ? { namespaceLabels } : {}),
    labels: pod.metadata.labels ?? {},
    annotations: pod.metadata.annotations ?? {},
    hostNetwork: pod.spec.hostNetwork === true,
    containerNames: [...(pod.spec.initContainers ?? []), ...(pod.spec.containers ?? [])].map(
      (c) => c.name,
    ),
  };
}

/** Already carries a sidecar (ours or Istio's): injecting again would duplicate it. */
export function alreadyInjected(
  subject: Pick<InjectionSubject, 'annotations' | 'containerNames'>,
): boolean {
  return (
    ANNOTATION.status in subject.annotations || subject.containerNames.includes(PROXY_CONTAINER)
  );
}

const no = (reason: string, warnings: string[] = []): InjectionDecision => ({
  inject: false,
  reason,
  warnings,
});

/** The webhook selection Kubernetes performs for Istio; undefined when this revision's webhook would be called. */
function notSelected(s: InjectionSubject, p: PolicySettings): string | undefined {
  const ns = s.namespaceLabels;
  if (!ns) return undefined;
  const isDefault = p.revision === 'default';
  if (s.labels[LABEL.sidecarInject] === 'false') return `pod label ${LABEL.sidecarInject}=false`;
  const nsInjection = ns[LABEL.namespaceInjection];
  if (nsInjection !== undefined) {
    if (nsInjection !== 'enabled')
      return `namespace label ${LABEL.namespaceInjection}=${nsInjection}`;
    // istio-injection wins over istio.io/rev and always means the default revision.
    return isDefault
      ? undefined
      : `namespace label ${LABEL.namespaceInjection}=enabled selects the default revision, not ${p.revision}`;
  }
  const nsRev = ns[LABEL.revision];
  if (nsRev !== undefined)
    return nsRev === p.revision
      ? undefined
      : `namespace selects revision ${nsRev}, not ${p.revision}`;
  const podRev = s.labels[LABEL.revision];
  if (podRev !== undefined)
    return podRev === p.revision ? undefined : `pod selects revision ${podRev}, not ${p.revision}`;
  if (s.labels[LABEL.sidecarInject] === 'true')
    return isDefault
      ? undefined
      : `pod label ${LABEL.sidecarInject}=true selects the default revision, not ${p.revision}`;
  if (p.enableNamespacesByDefault && isDefault) return undefined;
  return `namespace ${s.namespace} has no ${LABEL.namespaceInjection} or ${LABEL.revision} label`;
}

export function injectionDecision(s: InjectionSubject, p: PolicySettings): InjectionDecision {
  if (alreadyInjected(s)) return no('already injected');
  // iptables in a host-network pod would rewrite the node's own routing.
  if (s.hostNetwork) return no('pod uses the host network');
  if (IGNORED_NAMESPACES.includes(s.namespace))
    return no(`pods in ${s.namespace} are never injected`);
  const skipped = notSelected(s, p);
  if (skipped) return no(skipped);

  const warnings: string[] = [];
  // The label is the current API; the annotation is kept for older manifests.
  const fromLabel = s.labels[LABEL.sidecarInject];
  const value = fromLabel ?? s.annotations[ANNOTATION.sidecarInject];
  const where = fromLabel !== undefined ? 'label' : 'annotation';
  if (value === 'true')
    return { inject: true, reason: `pod ${where} ${LABEL.sidecarInject}=true`, warnings };
  if (value === 'false') return no(`pod ${where} ${LABEL.sidecarInject}=false`);
  if (value !== undefined) {
    warnings.push(
      `${where} ${LABEL.sidecarInject}: ${JSON.stringify(value)} is neither "true" nor "false"; the default policy (${p.policy}) applies`,
    );
  }
  return p.policy === 'enabled'
    ? { inject: true, reason: 'default policy enabled', warnings }
    : no('default policy disabled and the pod does not opt in', warnings);
}
