// Label selectors as Istio applies them (labels.Instance.SubsetOf).

/** Every selector label is on the workload; an empty or missing selector selects everything. */
export function selectorMatches(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (!selector) return true;
  for (const key in selector) if (labels[key] !== selector[key]) return false;
  return true;
}

export function hasSelector(
  selector: Readonly<Record<string, string>> | undefined,
): selector is Record<string, string> {
  if (!selector) return false;
  for (const _ in selector) return true;
  return false;
}

const keyCache = new WeakMap<object, string>();

/**
 * A stable string for a label set, to key caches. Remembered per frozen object
 * (subset labels in DestinationRules, proxy labels): generators pass the same
 * objects again and again.
 */
export function labelsKey(labels: Readonly<Record<string, string>> | undefined): string {
  if (!labels) return '';
  let out = keyCache.get(labels);
  if (out !== undefined) return out;
  out = '';
  for (const k of Object.keys(labels).sort()) out += `${k}=${labels[k]}\u0000`;
  if (Object.isFrozen(labels)) keyCache.set(labels, out);
  return out;
}
