// Collects what one analysis reads: admitted objects in a store (the same
// MemoryConfigStore pilot fills), where each came from, and the problems met
// on the way. File and Kubernetes loaders both add here, so files given on top
// of `--kube` replace the cluster's version of an object, as `istioctl analyze
// -k a.yaml` simulates applying them.
import { keyOf } from '../../api/config/object.ts';
import type { ConfigObject } from '../../api/config/object.ts';
import { MemoryConfigStore } from '../config/memory-store.ts';
import type { AnalysisInput, LoadProblem, ObjectOrigin, ResourceRef } from './types.ts';

export class InputBuilder {
  readonly store = new MemoryConfigStore();
  readonly origins = new Map<string, ObjectOrigin>();
  readonly problems: LoadProblem[] = [];
  /** Keys added by the current layer (files), to tell a duplicate from an override. */
  #layer = new Set<string>();

  /** Starts a new layer: what it adds replaces earlier layers' objects instead of clashing with them. */
  newLayer(): void {
    this.#layer = new Set();
  }

  /** Adds an admitted object; a second definition in the same layer is reported and ignored (pilot keeps the first). */
  add(object: ConfigObject, origin: ObjectOrigin): void {
    const key = keyOf(object);
    if (this.#layer.has(key)) {
      const first = this.origins.get(key);
      this.problems.push({
        severity: 'error',
        code: 'PETREL_CONFIG_DUPLICATE',
        detail: first?.file ? `${first.file}:${first.line ?? 1}` : 'an earlier document',
        resource: refOf(object, origin),
      });
      return;
    }
    this.#layer.add(key);
    this.origins.set(key, origin);
    this.store.upsert(object);
  }

  problem(p: LoadProblem): void {
    this.problems.push(p);
  }

  input(): AnalysisInput {
    return { snapshot: this.store.snapshot(), origins: this.origins, problems: this.problems };
  }
}

export function refOf(object: ConfigObject, origin?: ObjectOrigin): ResourceRef {
  return {
    kind: object.kind,
    namespace: object.metadata.namespace,
    name: object.metadata.name,
    file: origin?.file,
    line: origin?.line,
  };
}
