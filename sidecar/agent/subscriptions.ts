// Keeping a named type's subscription in step with what its parents reference:
// the names a CDS/LDS update implies for EDS/RDS/SDS, the resources to drop when a
// name is no longer wanted, and the names to wait for before the parents are warm.
import type { ResourceRef } from './resource-refs.ts';
import type { TypeState } from './type-state.ts';
import type { Warming } from './warming.ts';

export interface SubscriptionChange {
  /** The names changed: the server must be told. */
  changed: boolean;
  /** Resources were dropped: the data plane must be told. */
  dropped: boolean;
}

/** Sets `type`'s names to `refs`, dropping resources whose names are gone. */
export function narrowSubscription(
  type: TypeState,
  refs: ReadonlyMap<string, ResourceRef>,
): SubscriptionChange {
  const names = new Set(refs.keys());
  const same =
    type.requested && names.size === type.names.size && [...names].every((n) => type.names.has(n));
  // A type never asked for stays unasked while nothing references it.
  if (same || (!type.requested && names.size === 0)) return { changed: false, dropped: false };
  type.requested = true;
  type.names = names;
  const kept = new Map([...type.resources].filter(([name]) => names.has(name)));
  const dropped = kept.size !== type.resources.size;
  type.resources = kept;
  return { changed: true, dropped };
}

/** Waits for referenced names `child` does not hold yet; stops waiting for names no longer referenced. */
export function awaitMissing(
  warming: Warming,
  child: TypeState,
  refs: ReadonlyMap<string, ResourceRef>,
  fallbackMs: number,
): void {
  for (const ref of refs.values()) {
    if (!child.resources.has(ref.name))
      warming.await(ref.name, ref.initialFetchTimeoutMs ?? fallbackMs);
  }
  warming.settle((name) => !refs.has(name));
}
