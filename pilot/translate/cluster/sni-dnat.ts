// The SNI-DNAT clusters of a gateway with an AUTO_PASSTHROUGH server (Istio's
// buildOutboundSniDnatClusters): for every in-mesh service the gateway sees and
// each of its non-UDP ports, `outbound_.PORT_._.HOST` and one per DestinationRule
// subset, the targets of the server's SNI filter chains (listener/auto-passthrough.ts).
// Mesh-external services get none: the chains exist to carry mesh mTLS between
// workloads, and only in-mesh workloads terminate it.
import type { EnvoyResource } from '../types.ts';
import { memoPerPush } from '../common/push-memo.ts';
import { outboundViewKey, type BuildContext } from './context.ts';
import { buildSniDnatClusters } from './outbound.ts';

/**
 * Whether a Gateway selecting the proxy has a server in tls mode AUTO_PASSTHROUGH.
 * Any protocol counts, as in Istio's mergeGateways (which validation allows on
 * TLS, HTTPS and plain HTTP ports).
 */
export function hasAutoPassthroughServer(ctx: BuildContext): boolean {
  if (ctx.family !== 'router') return false;
  return ctx.push
    .gatewaysFor(ctx.proxy)
    .some((g) => g.spec.servers.some((s) => s.tls?.mode === 'AUTO_PASSTHROUGH'));
}

/**
 * The proxy's SNI-DNAT clusters; none without an AUTO_PASSTHROUGH server, so every
 * other proxy's CDS stays as it was. The list is shared per push by the proxies
 * that see the same services (the PushContext hands those out as one array) from
 * the same namespace (DestinationRules), cluster id and IP family (DNS clusters),
 * like the outbound clusters; whether a proxy gets it at all is decided above,
 * per proxy, from its own gateways. Callers must not mutate it.
 */
export function sniDnatClusters(ctx: BuildContext): readonly EnvoyResource[] {
  if (!hasAutoPassthroughServer(ctx)) return [];
  const services = ctx.push.servicesFor(ctx.proxy);
  const key = `sni-dnat-list|${outboundViewKey(ctx)}`;
  return memoPerPush(ctx.push, services, key, () => {
    const out: EnvoyResource[] = [];
    for (const service of services) {
      if (service.meshExternal) continue;
      for (const port of service.ports)
        if (port.protocol !== 'UDP') out.push(...buildSniDnatClusters(ctx, service, port));
    }
    return Object.freeze(out);
  });
}
