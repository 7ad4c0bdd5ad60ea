// VirtualService delegation (http[].delegate), merged into the root the way
// Istio's PushContext does before generators see it: each delegating route is
// replaced by the delegate's routes, each constrained by the root route's
// matches; a delegate match that cannot lie within any root match is dropped.
import type {
  HTTPMatchRequest,
  HTTPRoute,
  StringMatch,
  VirtualServiceSpec,
} from '../../api/istio/index.ts';

type Lookup = (namespace: string, name: string) => { spec: VirtualServiceSpec } | undefined;

/** The root's http routes with delegation resolved (one level, as Istio supports). */
export function mergeDelegates(root: VirtualServiceSpec, findDelegate: Lookup): VirtualServiceSpec {
  if (!root.http?.some((r) => r.delegate)) return root;
  const http: HTTPRoute[] = [];
  for (const route of root.http) {
    if (!route.delegate) {
      http.push(route);
      continue;
    }
    // A missing delegate (or one not exported to the root) drops the route, as in Istio.
    const delegate = findDelegate(route.delegate.namespace ?? '', route.delegate.name);
    for (const leaf of delegate?.spec.http ?? []) {
      if (leaf.delegate) continue; // only one level of delegation
      const merged = mergeRoute(route, leaf);
      if (merged) http.push(merged);
    }
  }
  return { ...root, http };
}

function mergeRoute(root: HTTPRoute, leaf: HTTPRoute): HTTPRoute | undefined {
  const match = mergeMatches(root.match, leaf.match);
  if (match === null) return undefined;
  const out: HTTPRoute = { ...structuredClone(leaf) };
  if (match) out.match = match;
  else delete out.match;
  if (root.name) out.name = leaf.name ? `${root.name}-${leaf.name}` : root.name;
  // Route-level policy set on the root applies where the delegate leaves it unset.
  for (const field of [
    'rewrite',
    'timeout',
    'retries',
    'fault',
    'mirror',
    'mirrors',
    'mirrorPercentage',
    'mirrorPercent',
    'corsPolicy',
    'headers',
  ] as const) {
    if (out[field] === undefined && root[field] !== undefined)
      (out as Record<string, unknown>)[field] = structuredClone(root[field]);
  }
  return out;
}

/** Each delegate match combined with every root match it fits in; null when some delegate match fits none. */
function mergeMatches(
  root: HTTPMatchRequest[] | undefined,
  leaf: HTTPMatchRequest[] | undefined,
): HTTPMatchRequest[] | undefined | null {
  if (!root || root.length === 0) return leaf;
  if (!leaf || leaf.length === 0) return root;
  const out: HTTPMatchRequest[] = [];
  for (const l of leaf) {
    let found = false;
    for (const r of root) {
      if (conflicts(r, l)) continue;
      out.push(mergeMatch(r, l));
      found = true;
    }
    if (!found) return null;
  }
  return out;
}

function mergeMatch(root: HTTPMatchRequest, leaf: HTTPMatchRequest): HTTPMatchRequest {
  const out: HTTPMatchRequest = structuredClone(leaf);
  if (root.name) out.name = leaf.name ? `${root.name}-${leaf.name}` : root.name;
  for (const field of [
    'uri',
    'scheme',
    'method',
    'authority',
    'port',
    'sourceNamespace',
    'statPrefix',
  ] as const) {
    if (out[field] === undefined && root[field] !== undefined)
      (out as Record<string, unknown>)[field] = structuredClone(root[field]);
  }
  for (const field of ['headers', 'withoutHeaders', 'queryParams', 'sourceLabels'] as const) {
    if (root[field])
      (out as Record<string, unknown>)[field] = {
        ...structuredClone(root[field]),
        ...(out[field] ?? {}),
      };
  }
  if (!out.gateways?.length && root.gateways) out.gateways = [...root.gateways];
  return out;
}

function conflicts(root: HTTPMatchRequest, leaf: HTTPMatchRequest): boolean {
  for (const field of ['uri', 'scheme', 'method', 'authority'] as const)
    if (stringMatchConflict(root[field], leaf[field])) return true;
  for (const field of ['headers', 'withoutHeaders', 'queryParams'] as const) {
    for (const [k, v] of Object.entries(leaf[field] ?? {}))
      if (stringMatchConflict(root[field]?.[k], v)) return true;
  }
  if ((root.ignoreUriCase ?? false) !== (leaf.ignoreUriCase ?? false)) return true;
  if (root.port && leaf.port && root.port !== leaf.port) return true;
  if (root.sourceNamespace && leaf.sourceNamespace !== root.sourceNamespace) return true;
  for (const [k, v] of Object.entries(leaf.sourceLabels ?? {}))
    if (root.sourceLabels?.[k] !== undefined && root.sourceLabels[k] !== v) return true;
  if (leaf.gateways?.some((g) => !(root.gateways ?? []).includes(g))) return true;
  return false;
}

/** Whether a delegate's string match can never lie within the root's. */
function stringMatchConflict(
  root: StringMatch | undefined,
  leaf: StringMatch | undefined,
): boolean {
  if (!root || !leaf) return false;
  // Regexes cannot be proven to nest: a regex on either side conflicts with any match on the other.
  if (root.regex !== undefined || leaf.regex !== undefined) return true;
  if (root.exact !== undefined) return leaf.exact !== root.exact;
  if (root.prefix !== undefined) return !(leaf.prefix ?? leaf.exact ?? '').startsWith(root.prefix);
  return false;
}
