// The mutating webhook (`/inject`): an AdmissionReview for a pod CREATE in,
// allowed with a JSON patch (or without one) out. Only annotation mistakes
// deny the pod, with one line naming the annotation; a request that is not a
// pod is allowed with a warning, since blocking it would not make it one.
import {
  allow,
  asPod,
  deny,
  patchResponse,
  type AdmissionResponse,
  type AdmissionReview,
} from './admission.ts';
import type { InjectorConfig } from './config.ts';
import { InjectorError, errorLine } from './errors.ts';
import { injectPod } from './inject.ts';

/** A namespace's labels, or undefined when they cannot be known (then the webhook selectors are trusted). */
export type NamespaceLabelSource = (
  namespace: string,
) => Promise<Record<string, string> | undefined>;

export interface InjectContext {
  config: InjectorConfig;
  namespaceLabels?: NamespaceLabelSource;
  /** `/inject/cluster/<id>/net/<network>` parameters, as Istio's remote-cluster webhooks use them. */
  clusterId?: string;
  network?: string;
  log: (line: string) => void;
}

const PREFIX = 'petrel injector';

/** `/inject/cluster/c1/net/n1` → { cluster: c1, net: n1 }; other segments are ignored. */
export function injectPathParams(path: string): { clusterId?: string; network?: string } {
  const parts = path.split('/').filter(Boolean).slice(1).map(decodeURIComponent);
  const out: { clusterId?: string; network?: string } = {};
  for (let i = 0; i + 1 < parts.length; i += 2) {
    if (parts[i] === 'cluster' && parts[i + 1]) out.clusterId = parts[i + 1];
    if (parts[i] === 'net' && parts[i + 1]) out.network = parts[i + 1];
  }
  return out;
}

export async function handleInject(
  review: AdmissionReview,
  ctx: InjectContext,
): Promise<AdmissionResponse> {
  const req = review.request;
  // Istio registers the webhook for CREATE only; anything else passes untouched.
  if (req.operation !== undefined && req.operation !== 'CREATE') return allow(req.uid);
  if (req.kind && (req.kind.kind !== 'Pod' || req.kind.group !== '')) {
    return allow(req.uid, [
      `${PREFIX}: ${req.kind.group || 'core'}/${req.kind.version} ${req.kind.kind} is not a Pod; nothing injected`,
    ]);
  }
  const pod = asPod(req.object);
  if (typeof pod === 'string') return allow(req.uid, [`${PREFIX}: ${pod}; nothing injected`]);
  const namespace = req.namespace || pod.metadata.namespace || 'default';
  const podName = `${namespace}/${pod.metadata.name || `${pod.metadata.generateName ?? ''}*`}`;

  let namespaceLabels: Record<string, string> | undefined;
  if (ctx.namespaceLabels) {
    try {
      namespaceLabels = await ctx.namespaceLabels(namespace);
    } catch (err) {
      ctx.log(
        `${PREFIX}: namespace ${namespace}: labels unavailable (${errorLine(err)}); trusting the webhook's selectors`,
      );
    }
  }
  try {
    const result = injectPod(
      {
        pod,
        namespace,
        ...(namespaceLabels ? { namespaceLabels } : {}),
        ...(ctx.clusterId ? { clusterId: ctx.clusterId } : {}),
        ...(ctx.network ? { network: ctx.network } : {}),
      },
      ctx.config,
    );
    const warnings = result.warnings.map((w) => `${PREFIX}: ${w}`);
    if (result.patch.length === 0) return allow(req.uid, warnings);
    return patchResponse(req.uid, result.patch, warnings);
  } catch (err) {
    if (err instanceof InjectorError && err.code === 'PETREL_INJECT_ANNOTATION') {
      return deny(req.uid, `${PREFIX}: pod ${podName}: ${err.message}`);
    }
    // Fail closed, as Istio does: a pod created without its sidecar would run unmeshed.
    ctx.log(`${PREFIX}: pod ${podName}: injection failed: ${errorLine(err)}`);
    return deny(req.uid, `${PREFIX}: pod ${podName}: injection failed: ${errorLine(err)}`);
  }
}
