// A push snapshot whose PushContext is built only when the ADS server dispatches
// it. Config changes arrive as many store events (one per object of an edited
// file); the ADS server's debounce keeps only the newest snapshot of a burst, so
// building eagerly would index the whole mesh once per event for nothing.
import type { ConfigSnapshot } from './config/types.ts';
import { buildPushContext, type BuildPushContextOptions } from './model/push-context.ts';
import type { Proxy } from './model/proxy.ts';
import type { PushContext } from './model/types.ts';
import { servicesOfEndpointKeys } from './model/service-registry/endpoint-changes.ts';
import { endpointPushScope, type EndpointPushScope } from './translate/endpoint/push-scope.ts';
import type { Generator } from './translate/types.ts';

export class LazyPush {
  readonly version: string;
  readonly #snapshot: ConfigSnapshot;
  readonly #options: BuildPushContextOptions;
  #context: PushContext | undefined;

  constructor(snapshot: ConfigSnapshot, options: BuildPushContextOptions) {
    this.#snapshot = snapshot;
    this.version = `${new Date().toISOString()}/${snapshot.revision}`;
    this.#options = { ...options, version: this.version };
  }

  get context(): PushContext {
    this.#context ??= buildPushContext(this.#snapshot, this.#options);
    return this.#context;
  }

  /**
   * For an endpoint-only push: the ClusterLoadAssignments it changes since
   * `previous` (the push dispatched before), or undefined when it must be a
   * full push. A previous push that was never built had no proxy to generate
   * for: there is nothing to compare with, and a full push is cheap then.
   */
  incrementalScope(
    previous: LazyPush | undefined,
    configsUpdated: ReadonlySet<string>,
  ): EndpointPushScope | undefined {
    const before = previous && previous.#context;
    if (!previous || !before || previous.#options.mesh !== this.#options.mesh) return undefined;
    const changed = servicesOfEndpointKeys(
      configsUpdated,
      previous.#snapshot,
      this.#snapshot,
      before.mesh.clusterDomain,
    );
    return changed && endpointPushScope(before, this.context, changed);
  }
}

/** Adapts generators of PushContext to the lazy snapshot the ADS server carries. */
export function lazyGenerators(
  generators: Iterable<Generator<PushContext>>,
): Generator<LazyPush>[] {
  return [...generators].map((g) => ({
    typeUrl: g.typeUrl,
    generate: (push: LazyPush, proxy: Proxy, names: readonly string[]) =>
      g.generate(push.context, proxy, names),
  }));
}
