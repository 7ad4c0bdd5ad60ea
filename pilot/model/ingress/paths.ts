// An Ingress path as VirtualService URI matches, with Istio's semantics
// (pilot/pkg/config/kube/ingress virtualservices.go and the "ingress" route
// semantics of its route translation):
//   Exact  `/foo`          → exact /foo
//   Prefix `/foo` or `/foo/` → /foo and everything under /foo/, never /foobar
//                            (Envoy's path_separated_prefix; `/` matches all)
//   ImplementationSpecific (and a path with no type): ``, `*`, `/*`, `.*` match
//     everything; `X.*` and `X/*` are prefix X with the Prefix semantics above;
//     anything else is exact.
// Istio says path_separated_prefix; a VirtualService has no such matcher, so the
// same set of paths is written as two matches (exact X, prefix X/), which every
// proxy and Envoy route the same way.
import type { HTTPMatchRequest } from '../../../api/istio/index.ts';
import type { HTTPIngressPath } from '../../../api/kube/ingress.ts';

export interface PathMatch {
  /** VirtualService matches (any one matches); undefined matches every path. */
  match: HTTPMatchRequest[] | undefined;
  /** Istio's ordering key: longer paths first, exact before prefix at equal length. */
  length: number;
  exact: boolean;
}

const EVERYTHING: PathMatch = { match: undefined, length: 0, exact: false };

function prefixMatch(prefix: string): PathMatch {
  const base = prefix.replace(/\/+$/, '');
  if (base === '')
    return { match: [{ uri: { prefix: '/' } }], length: prefix.length, exact: false };
  return {
    match: [{ uri: { exact: base } }, { uri: { prefix: `${base}/` } }],
    length: prefix.length,
    exact: false,
  };
}

function exactMatch(path: string): PathMatch {
  return { match: [{ uri: { exact: path } }], length: path.length, exact: true };
}

/** Istio's createFallbackStringMatch, for ImplementationSpecific paths. */
function implementationSpecific(path: string): PathMatch {
  if (path === '' || path === '*' || path === '/*' || path === '.*') return EVERYTHING;
  // The sort length is that of the prefix Istio keeps (the path less its `.*` or `/*`).
  if (path.endsWith('.*') || path.endsWith('/*')) return prefixMatch(path.slice(0, -2));
  return exactMatch(path);
}

export function pathMatch(path: Pick<HTTPIngressPath, 'path' | 'pathType'>): PathMatch {
  const p = path.path ?? '';
  switch (path.pathType) {
    case 'Exact':
      return exactMatch(p);
    case 'Prefix':
      return prefixMatch(p);
    default:
      return implementationSpecific(p);
  }
}

/** The catch-all of a default backend: after every path, as Istio orders a route without a match. */
export const DEFAULT_BACKEND_MATCH: PathMatch = EVERYTHING;

/** Istio's sortHTTPRoutes order; stable, so equal keys keep Ingress creation and rule order. */
export function byPathPrecedence(a: PathMatch, b: PathMatch): number {
  if (a.length !== b.length) return b.length - a.length;
  return a.exact === b.exact ? 0 : a.exact ? -1 : 1;
}
