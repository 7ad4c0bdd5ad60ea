// Resources shared by every proxy of a push. Generators run once per proxy, but
// most outbound clusters and ClusterLoadAssignments come out identical for every
// proxy that sees the same service through the same DestinationRule. Handing
// those proxies the SAME object lets pilot/xds/encode.ts encode and hash it once
// per push instead of once per proxy (Istio's XdsCache plays this part).
//
// Entries live as long as the PushContext they were built from (a WeakMap keyed
// by it): a new push (any config or endpoint change) starts empty, so nothing
// stale can be served. The caller's key must name every input besides the push
// and the owner object that the result depends on.

const memos = new WeakMap<object, WeakMap<object, Map<string, unknown>>>();

/** `build()` once per (push, owner, key); later calls return the same value. */
export function memoPerPush<T>(push: object, owner: object, key: string, build: () => T): T {
  let byOwner = memos.get(push);
  if (!byOwner) {
    byOwner = new WeakMap();
    memos.set(push, byOwner);
  }
  let byKey = byOwner.get(owner);
  if (!byKey) {
    byKey = new Map();
    byOwner.set(owner, byKey);
  }
  if (byKey.has(key)) return byKey.get(key) as T;
  const value = build();
  byKey.set(key, value);
  return value;
}

const ids = new WeakMap<object, number>();
let nextId = 1;

/** A number naming one object for memo keys ('-' for none). */
export function identityKey(obj: object | undefined): string {
  if (!obj) return '-';
  let id = ids.get(obj);
  if (id === undefined) {
    id = nextId++;
    ids.set(obj, id);
  }
  return String(id);
}
