// One pod in, one JSON patch out: the decision (policy.ts), the settings from
// annotations, then the containers, volumes, labels and annotations Istio's
// sidecar template adds. Pure, so the patch is golden-file testable.
import { podSettings } from './annotations.ts';
import type { InjectorConfig } from './config.ts';
import { initContainer } from './init-container.ts';
import { PatchBuilder, type PatchOperation } from './json-patch.ts';
import { metricsMerge } from './metrics-merge.ts';
import { ANNOTATION, INIT_CONTAINER, LABEL, PROXY_CONTAINER } from './names.ts';
import { injectionDecision, subjectOf, type InjectionDecision } from './policy.ts';
import type { Container, Pod } from './pod-types.ts';
import { proxyContainer } from './proxy-container.ts';
import { rewriteProbes } from './probes.ts';
import { sidecarVolumes } from './volumes.ts';
import { canonicalName, canonicalRevision, workloadOf } from './workload.ts';

export interface InjectRequest {
  pod: Pod;
  /** The request's namespace (a new pod's metadata.namespace is often unset). */
  namespace: string;
  /** Known namespace labels, to re-check the webhook's selection; undefined trusts the API server. */
  namespaceLabels?: Record<string, string>;
  /** From the webhook path (`/inject/cluster/<id>/net/<network>`), overriding the config. */
  clusterId?: string;
  network?: string;
}

export interface InjectResult {
  decision: InjectionDecision;
  /** Empty when the pod is not injected. */
  patch: PatchOperation[];
  warnings: string[];
}

/** Istio's sidecar.istio.io/status: what was added, so tools (and uninjection) can find it. */
function statusAnnotation(
  init: Container[],
  containers: Container[],
  volumes: string[],
  revision: string,
): string {
  const names = (cs: Container[]) => (cs.length ? cs.map((c) => c.name) : null);
  return JSON.stringify({
    initContainers: names(init),
    containers: names(containers),
    volumes,
    imagePullSecrets: null,
    revision,
  });
}

/** Throws InjectorError PETREL_INJECT_ANNOTATION when an annotation the sidecar depends on is bad. */
export function injectPod(req: InjectRequest, config: InjectorConfig): InjectResult {
  const { pod, namespace } = req;
  const decision = injectionDecision(subjectOf(pod, namespace, req.namespaceLabels), config);
  if (!decision.inject) return { decision, patch: [], warnings: decision.warnings };

  const annotations = pod.metadata.annotations ?? {};
  const labels = pod.metadata.labels ?? {};
  const { settings, warnings } = podSettings(annotations, config);
  const spec = pod.spec;
  const containers = spec.containers;
  const initContainers = spec.initContainers ?? [];
  const workload = workloadOf(pod);
  const merge = metricsMerge(annotations, settings.mergeMetrics);
  const probes = settings.rewriteProbes
    ? rewriteProbes({ containers, initContainers }, settings.capture)
    : { rewrites: [], probers: {} };
  const native = config.nativeSidecars;
  const proxy = proxyContainer({
    pod,
    namespace,
    config,
    settings,
    workload,
    probers: probes.probers,
    ...(merge ? { appScrape: merge.appScrape } : {}),
    clusterId: req.clusterId ?? config.clusterId,
    ...(req.network ? { network: req.network } : {}),
    native,
  });

  const p = new PatchBuilder();
  // Probe replacements first, while container indexes are still the original ones.
  for (const r of probes.rewrites) p.replace(`/spec/${r.list}/${r.index}/${r.field}`, r.probe);

  // istio-init runs first so no user init container opens connections before capture
  // is set up; a native sidecar proxy follows it, so user init containers are meshed.
  const addedInit: Container[] = [];
  if (settings.capture.mode !== 'NONE')
    addedInit.push(initContainer(settings.image, settings.capture));
  if (native) addedInit.push(proxy);
  p.insert('/spec/initContainers', spec.initContainers, 0, addedInit);
  const addedContainers: Container[] = native ? [] : [proxy];
  // holdApplicationUntilProxyStarts: the kubelet starts containers in order, so the proxy goes first.
  p.insert(
    '/spec/containers',
    containers,
    !native && settings.holdApplicationUntilProxyStarts ? 0 : 'end',
    addedContainers,
  );
  const volumes = sidecarVolumes();
  p.insert('/spec/volumes', spec.volumes, 'end', volumes);

  const newLabels: Record<string, string> = { [LABEL.tlsMode]: 'istio' };
  if (!labels[LABEL.canonicalName]) newLabels[LABEL.canonicalName] = canonicalName(pod, workload);
  if (!labels[LABEL.canonicalRevision]) newLabels[LABEL.canonicalRevision] = canonicalRevision(pod);
  p.setEntries('/metadata/labels', pod.metadata.labels, newLabels);

  const newAnnotations: Record<string, string> = {
    [ANNOTATION.status]: statusAnnotation(
      addedInit,
      addedContainers,
      volumes.map((v) => v.name),
      config.revision,
    ),
  };
  // With the proxy first, `kubectl logs/exec` would otherwise pick it; Istio pins the app.
  const firstApp = containers.find(
    (c) => c.name !== PROXY_CONTAINER && c.name !== INIT_CONTAINER,
  )?.name;
  if (firstApp && !annotations[ANNOTATION.defaultContainer])
    newAnnotations[ANNOTATION.defaultContainer] = firstApp;
  if (firstApp && !annotations[ANNOTATION.defaultLogsContainer])
    newAnnotations[ANNOTATION.defaultLogsContainer] = firstApp;
  if (merge) Object.assign(newAnnotations, merge.annotations);
  p.setEntries('/metadata/annotations', pod.metadata.annotations, newAnnotations);

  return { decision, patch: p.ops, warnings: [...decision.warnings, ...warnings] };
}
