// The request that goes upstream: path and host rewrites and the header
// mutations of the weighted cluster, route, virtual host and route configuration.
import { applyMutations } from '../route/header-mutation.ts';
import type { ClusterAction } from '../route/types.ts';
import type { RequestContext } from './request-context.ts';

export function splitHostPort(v: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(v.trim());
  if (!m) return undefined;
  return { host: m[1]!, port: Number(m[2]) };
}

/** Rewrites and header mutations on the request copy that goes upstream. */
export function prepareUpstreamRequest(ctx: RequestContext, action: ClusterAction): void {
  const route = ctx.route!;
  const h = ctx.headers;
  if (ctx.weighted?.requestMutation) applyMutations(h, [ctx.weighted.requestMutation], ctx);
  if (route.requestMutations.length > 0) applyMutations(h, route.requestMutations, ctx);
  if (
    action.prefixRewrite !== undefined &&
    route.rewriteBase !== undefined &&
    ctx.path.startsWith(route.rewriteBase)
  ) {
    ctx.path = action.prefixRewrite + ctx.path.slice(route.rewriteBase.length);
    if (ctx.path === '' || ctx.path.charCodeAt(0) !== 47) ctx.path = '/' + ctx.path;
  } else if (action.regexRewrite) {
    const q = ctx.path.indexOf('?');
    const p = q >= 0 ? ctx.path.slice(0, q) : ctx.path;
    action.regexRewrite.pattern.lastIndex = 0;
    ctx.path =
      p.replace(action.regexRewrite.pattern, action.regexRewrite.substitution) +
      (q >= 0 ? ctx.path.slice(q) : '');
  }
  if (action.prefixRewrite !== undefined || action.regexRewrite)
    h['x-envoy-original-path'] ??= ctx.record.path;
  if (action.hostRewrite !== undefined) {
    h['x-forwarded-host'] ??= ctx.authority;
    ctx.authority = action.hostRewrite;
  } else if (action.hostRewriteHeader !== undefined) {
    const v = ctx.header(action.hostRewriteHeader);
    if (v) ctx.authority = v;
  }
}
