// The names an incremental push regenerates for one subscription: those of
// its names the push's scope touches. Thousands of EDS names per proxy and
// hundreds of proxies per push: with a grouping, the names are grouped once
// per shared name list (name-lists.ts) and looked up by key, not scanned.
import type { Subscription } from './subscription.ts';
import type { IncrementalScope } from './types.ts';

/** The names of `sub` the scope touches: those the proxy asked for, and on a wildcard subscription those it holds. */
export function affectedNames(sub: Subscription, scope: IncrementalScope): string[] {
  const grouping = scope.grouping;
  if (grouping?.typeUrl === sub.typeUrl && !sub.wildcard) {
    const groups = groupedNames(sub.nameList(), grouping.keyOf);
    const out: string[] = [];
    for (const key of grouping.keys) out.push(...(groups.get(key) ?? []));
    return out;
  }
  const out: string[] = [];
  for (const name of sub.names) if (scope.affects(sub.typeUrl, name)) out.push(name);
  if (sub.wildcard) {
    for (const name of sub.holding.names())
      if (!sub.names.has(name) && scope.affects(sub.typeUrl, name)) out.push(name);
  }
  return out;
}

/** Name lists grouped by a scope's key function; lists are shared by proxies alike (name-lists.ts). */
const groupings = new WeakMap<readonly string[], WeakMap<object, Map<string, string[]>>>();

function groupedNames(
  names: readonly string[],
  keyOf: (name: string) => string,
): Map<string, string[]> {
  let byFn = groupings.get(names);
  if (!byFn) groupings.set(names, (byFn = new WeakMap()));
  let groups = byFn.get(keyOf);
  if (!groups) {
    groups = new Map();
    for (const name of names) {
      const key = keyOf(name);
      const list = groups.get(key);
      if (list) list.push(name);
      else groups.set(key, [name]);
    }
    byFn.set(keyOf, groups);
  }
  return groups;
}
