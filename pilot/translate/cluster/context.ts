// What every cluster builder needs to know about the proxy it builds for.
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
