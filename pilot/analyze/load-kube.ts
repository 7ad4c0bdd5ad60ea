// Reading a cluster for analysis with pilot's own `--kube` source: list every
// kind once (start() resolves after the first full list), copy what was
// admitted, turn the source's diagnostics into load problems, and stop.
import type { KubeConfig } from '@kubernetes/client-node';
import { KINDS } from '../../api/config/kinds.ts';
import { KubeConfigSource } from '../config/kube-source.ts';
import { MemoryConfigStore } from '../config/memory-store.ts';
import { AnalyzeError } from './errors.ts';
import type { InputBuilder } from './input.ts';
import type { ResourceRef } from './types.ts';

export async function addKube(builder: InputBuilder, kubeConfig?: KubeConfig): Promise<void> {
  const store = new MemoryConfigStore();
  let source: KubeConfigSource;
  try {
    source = new KubeConfigSource({ store, kubeConfig, resyncMs: 0 });
  } catch (err) {
    throw new AnalyzeError('PETREL_ANALYZE_KUBE', (err as Error).message, { cause: err });
  }
  try {
    await source.start();
  } finally {
    await source.stop();
  }
  const status = source.status();
  // A kind that could not be listed for another reason than a missing CRD would
  // make the analysis silently incomplete: refuse instead.
  for (const { diagnostics } of status.origins) {
    const failed = diagnostics.find((d) => d.code === 'PETREL_CONFIG_KUBE_WATCH');
    if (failed) throw new AnalyzeError('PETREL_ANALYZE_KUBE', failed.message);
  }
  const snapshot = store.snapshot();
  for (const info of KINDS) for (const obj of snapshot.list(info.kind)) builder.add(obj, {});
  for (const { origin, diagnostics } of status.origins) {
    const resource = refOfOrigin(origin);
    for (const d of diagnostics) {
      const detail = d.message.replace(/^kube: /, '');
      builder.problem({
        // A kind whose CRD is missing is analysed as empty, as istioctl does.
        severity: d.code === 'PETREL_CONFIG_KUBE_MISSING_KIND' ? 'warning' : d.severity,
        code: d.code ?? 'PETREL_CONFIG_INVALID',
        detail: resource ? detail.replace(/^[a-z]+ (?:[a-z0-9-]+\/)?[^\s:]+: /, '') : detail,
        resource,
      });
    }
  }
}

/** `kube VirtualService/default/reviews` → the object it names. */
function refOfOrigin(origin: string): ResourceRef | undefined {
  const m = /^kube ([A-Za-z]+)\/([^/]*)\/([^/]+)$/.exec(origin);
  if (!m) return undefined;
  return { kind: m[1]!, ...(m[2] ? { namespace: m[2] } : {}), name: m[3]! };
}
