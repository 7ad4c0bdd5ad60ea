// Name lists shared by subscriptions that ask for the same names in the same
// order. Sidecars of one namespace ask for the same thousands of EDS names;
// handing them one array lets generators and the encoder share their output
// by that array (pilot/translate/sidecar/generators.ts, encode.ts).

/** Lists handed out, by a cheap fingerprint, while some subscription still holds them. */
const interned = new Map<string, WeakRef<readonly string[]>[]>();
const collected = new FinalizationRegistry<string>((key) => {
  const live = interned.get(key)?.filter((ref) => ref.deref());
  if (live?.length) interned.set(key, live);
  else interned.delete(key);
});

/** Length and a few names: lists that differ almost always differ here already. */
function fingerprint(list: readonly string[]): string {
  const n = list.length;
  return `${n}|${list[0] ?? ''}|${list[n >> 1] ?? ''}|${list[n - 1] ?? ''}`;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One frozen array per distinct list of names (same names, same order). */
export function internNames(list: string[]): readonly string[] {
  const key = fingerprint(list);
  const candidates = interned.get(key);
  for (const ref of candidates ?? []) {
    const hit = ref.deref();
    if (hit && sameList(hit, list)) return hit;
  }
  const frozen = Object.freeze(list);
  const ref = new WeakRef<readonly string[]>(frozen);
  if (candidates) candidates.push(ref);
  else interned.set(key, [ref]);
  collected.register(frozen, key);
  return frozen;
}

/** Sets of the interned lists, so subscriptions alike share one (a set of thousands of names is ~200 KB). */
const sets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** The interned list of `list` (distinct names) and its shared set. */
export function sharedNames(list: string[]): {
  list: readonly string[];
  set: ReadonlySet<string>;
} {
  const interned = internNames(list);
  let set = sets.get(interned);
  if (!set) sets.set(interned, (set = new Set(interned)));
  return { list: interned, set };
}
