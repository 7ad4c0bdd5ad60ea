// What of the proxy a sidecar's outbound listeners depend on, as a memo key, so
// that proxies agreeing on all of it get the same listener objects and pilot
// encodes them once per push (as route configs are shared in route/sidecar-routes.ts).
// Read off the builders in outbound.ts, virtual.ts and l4-routes.ts:
// - the namespace: visible services and VirtualServices, short host names,
//   destination lookups, tcp/tls route sourceNamespace matches;
// - the Sidecar scoping the proxy: visible services and VirtualServices, and the
//   outbound traffic policy (with the push's mesh config);
// - the proxy's IP family (the wildcard or localhost address listeners sit on);
// - INTERCEPTION_MODE NONE (bound localhost listeners, no VIP listeners);
// - the labels, only when a visible VirtualService's tcp/tls route matches
//   sourceLabels (HTTP sourceLabels matter to route configs, not to listeners).
// Nothing else is read: not the IPs themselves, the pod name, the service account,
// the DNS domain or other metadata, and no workload-selected policy (those
// apply to inbound listeners, which are built per proxy).
import type { BuildContext } from '../cluster/context.ts';
import { interceptionNone, localhostAddress } from '../common/interception.ts';
import { identityKey } from '../common/push-memo.ts';
import { labelsKey } from '../../model/labels.ts';
import { outboundPolicy } from '../route/sidecar-routes.ts';
import { usesSourceLabels } from '../route/source-labels.ts';
import { wildcardAddress } from './address.ts';

/** The key of a sidecar's `0.0.0.0_PORT` / `VIP_PORT` outbound listeners. */
export function outboundListenersKey(ctx: BuildContext): string {
  const { proxy } = ctx;
  const none = interceptionNone(proxy);
  const address = none ? localhostAddress(proxy) : wildcardAddress(proxy);
  const labels = usesSourceLabels(ctx.push.virtualServicesForSidecar(proxy), 'l4')
    ? labelsKey(proxy.labels)
    : '';
  const sidecar = identityKey(ctx.push.sidecarFor(proxy));
  return `${ctx.family}|${proxy.namespace}|${sidecar}|${address}|${none}|${labels}`;
}

/** The key of virtualOutbound: its address and what it does with unknown destinations. */
export function virtualOutboundKey(ctx: BuildContext): string {
  return `${ctx.family}|${wildcardAddress(ctx.proxy)}|${outboundPolicy(ctx)}`;
}
