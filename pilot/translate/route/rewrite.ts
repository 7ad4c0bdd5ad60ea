// VirtualService rewrite → the route action's path and host rewrites: uri replaces
// the matched prefix (prefix_rewrite), uriRegexRewrite is a regex substitution,
// authority rewrites the Host header.
import type { HTTPRoute } from '../../../api/istio/index.ts';

export function applyRewrite(action: Record<string, unknown>, rewrite: HTTPRoute['rewrite']): void {
  if (!rewrite) return;
  if (rewrite.uriRegexRewrite) {
    action.regex_rewrite = {
      pattern: { regex: rewrite.uriRegexRewrite.match },
      substitution: rewrite.uriRegexRewrite.rewrite,
    };
  } else if (rewrite.uri) action.prefix_rewrite = rewrite.uri;
  if (rewrite.authority) action.host_rewrite_literal = rewrite.authority;
}
