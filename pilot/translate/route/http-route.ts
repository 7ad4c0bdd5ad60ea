// One Istio HTTPRoute (with one of its matches) → one Envoy Route, each feature in
// its own file. Returns undefined when the match does not apply here (another port,
// source labels the proxy lacks, another gateway) or the client cannot take it.
import type { HTTPMatchRequest, HTTPRoute } from '../../../api/istio/index.ts';
import type { VirtualService } from '../../model/types.ts';
import { configPath, parseClusterName } from '../common/names.ts';
import { qualifyGateway } from './context.ts';
import type { RouteContext } from './context.ts';
import { CORS_FILTER, corsPolicy } from './cors.ts';
import { FAULT_FILTER, httpFault } from './fault.ts';
import { applyHeaderOperations, headerOperations } from './headers.ts';
import { routeMatch } from './match.ts';
import { mirrorPolicies } from './mirror.ts';
import { directResponseAction, redirectAction } from './redirect.ts';
import { retryPolicy } from './retry.ts';
import { applyRewrite } from './rewrite.ts';
import { applyTimeout } from './timeout.ts';
import { applyDestinations } from './weighted.ts';

function labelsSubsetOf(
  want: Record<string, string> | undefined,
  have: Record<string, string>,
): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => have[k] === v);
}

/** Whether a match condition applies to this proxy and port (Istio's sourceMatchHTTP + port check). */
export function matchApplies(
  ctx: RouteContext,
  vs: VirtualService,
  match: HTTPMatchRequest | undefined,
): boolean {
  if (!match) return true;
  if (match.port !== undefined && match.port !== ctx.listenPort) return false;
  if (match.gateways?.length)
    return match.gateways.some((g) => ctx.gatewayNames.has(qualifyGateway(g, vs)));
  return (
    labelsSubsetOf(match.sourceLabels, ctx.proxy.labels) &&
    (!match.sourceNamespace || match.sourceNamespace === ctx.proxy.namespace)
  );
}

/** Istio's trace operation: `host:port/path*` for a single cluster, else `vsName:port/path*`. */
function operation(route: Record<string, unknown>, vsName: string, port: number): string {
  const m = route.match as Record<string, unknown>;
  const path =
    typeof m.prefix === 'string'
      ? `${m.prefix}*`
      : typeof m.path === 'string'
        ? m.path
        : ((m.safe_regex as { regex?: string })?.regex ?? '/*');
  const cluster = (route.route as Record<string, unknown> | undefined)?.cluster;
  const key = typeof cluster === 'string' ? parseClusterName(cluster) : undefined;
  return key ? `${key.host}:${key.port}${path}` : `${vsName}:${port}${path}`;
}

export function translateRoute(
  ctx: RouteContext,
  vs: VirtualService,
  http: HTTPRoute,
  match: HTTPMatchRequest | undefined,
  isTls = false,
): Record<string, unknown> | undefined {
  if (!matchApplies(ctx, vs, match)) return undefined;
  const grpc = ctx.family === 'grpc';
  // gRPC clients reject routes whose action is not "route" and cannot evaluate query parameters.
  if (grpc && (http.redirect || http.directResponse || match?.queryParams)) return undefined;

  const route: Record<string, unknown> = {
    name: match?.name ? `${http.name ?? ''}.${match.name}` : (http.name ?? ''),
    match: routeMatch(match),
  };
  if (match?.statPrefix && !grpc) route.stat_prefix = match.statPrefix;
  route.metadata = {
    filter_metadata: {
      istio: {
        config: configPath('VirtualService', vs.metadata.namespace ?? '', vs.metadata.name),
      },
    },
  };
  const ops = headerOperations(http.headers);
  applyHeaderOperations(route, ops);

  if (http.redirect) {
    const redirect = redirectAction(http.redirect, ctx.listenPort, isTls);
    if (!redirect) return undefined;
    route.redirect = redirect;
  } else if (http.directResponse) {
    route.direct_response = directResponseAction(http.directResponse);
  } else if (http.route?.length) {
    const action: Record<string, unknown> = {};
    applyTimeout(action, http.timeout, ctx.family);
    applyRewrite(action, http.rewrite);
    if (ops.authority && action.host_rewrite_literal === undefined)
      action.host_rewrite_literal = ops.authority;
    const mirrors = grpc ? [] : mirrorPolicies(ctx, vs, http);
    if (mirrors.length > 0) action.request_mirror_policies = mirrors;
    const { consistentHash } = applyDestinations(ctx, vs, http.route, route, action);
    const retry = retryPolicy(http.retries, consistentHash);
    if (retry) action.retry_policy = retry;
    route.route = action;
  } else return undefined; // delegate: not supported (listed in api/istio/unsupported.ts)

  route.decorator = { operation: operation(route, vs.metadata.name, ctx.listenPort) };
  const perFilter: Record<string, unknown> = {};
  const fault = httpFault(http.fault);
  if (fault) perFilter[FAULT_FILTER] = fault;
  const cors = grpc ? undefined : corsPolicy(http.corsPolicy);
  if (cors) perFilter[CORS_FILTER] = cors;
  if (Object.keys(perFilter).length > 0) route.typed_per_filter_config = perFilter;
  return route;
}
