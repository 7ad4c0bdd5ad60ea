// Generators build what a proxy may see, then keep what it asked for.
import type { EnvoyResource, GeneratedResource } from '../types.ts';

/** Resources named `names` (all of them when `names` is empty: a wildcard request), deduplicated by name. */
export function selectNamed(
  resources: readonly EnvoyResource[],
  names: readonly string[],
  nameOf: (r: EnvoyResource) => string = (r) => String(r.name),
): GeneratedResource[] {
  const wanted = names.length > 0 ? new Set(names) : undefined;
  const seen = new Set<string>();
  const out: GeneratedResource[] = [];
  for (const resource of resources) {
    const name = nameOf(resource);
    if (seen.has(name)) continue; // the first definition wins, as Istio's normalizeClusters
    seen.add(name);
    if (!wanted || wanted.has(name)) out.push({ name, resource });
  }
  return out;
}
