// What every cluster builder needs to know about the proxy it builds for.
import { ipv6Only } from '../common/interception.ts';
import type { Proxy } from '../../model/proxy.ts';
import type { PushContext } from '../../model/types.ts';

/** Which generator family: Envoy sidecar, Envoy gateway (router), or proxyless gRPC. */
export type Family = 'sidecar' | 'router' | 'grpc';

export interface BuildContext {
  push: PushContext;
  proxy: Proxy;
  family: Family;
}

export function familyOf(proxy: Proxy): Family {
  if (proxy.generator === 'grpc') return 'grpc';
  return proxy.type === 'router' ? 'router' : 'sidecar';
}

/**
 * What an outbound cluster depends on besides the push and the services the
 * proxy sees (buildOutboundClusters), and a ClusterLoadAssignment besides the
 * push and its name (loadAssignment): proxies alike in these share one list.
 */
export function outboundViewKey(ctx: BuildContext): string {
  return `${ctx.family}|${ctx.proxy.namespace}|${ctx.proxy.clusterId}|${ipv6Only(ctx.proxy)}`;
}
