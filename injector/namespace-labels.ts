// Namespace labels from the Kubernetes API, so the injector can re-check the
// webhook selection itself (see policy.ts). A short cache keeps a burst of pod
// creations (a Deployment scaling up) to one read per namespace.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { NamespaceLabelSource } from './inject-handler.ts';

export function kubeNamespaceLabels(
  kc: KubeConfig,
  options: { ttlMs?: number } = {},
): NamespaceLabelSource {
  const api = kc.makeApiClient(CoreV1Api);
  const ttl = options.ttlMs ?? 5000;
  const cache = new Map<string, { labels: Record<string, string>; at: number }>();
  return async (namespace) => {
    const hit = cache.get(namespace);
    if (hit && Date.now() - hit.at < ttl) return hit.labels;
    const ns = await api.readNamespace({ name: namespace });
    const labels = { ...(ns.metadata?.labels ?? {}) };
    cache.set(namespace, { labels, at: Date.now() });
    return labels;
  };
}
