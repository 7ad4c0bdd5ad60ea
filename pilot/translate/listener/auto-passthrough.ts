// The filter chains of a Gateway server in tls mode AUTO_PASSTHROUGH (Istio's
// east-west / multi-network gateway, builtAutoPassthroughFilterChains): a sidecar
// elsewhere sends its mTLS with SNI `outbound_.PORT_.SUBSET_.HOST`, and the
// gateway, without terminating anything, forwards the connection to the cluster of
// that very name (cluster/sni-dnat.ts), where the destination's sidecar ends the TLS.
// One chain per in-mesh service whose hostname the server's hosts cover, per
// non-UDP port, and the same per DestinationRule subset. Each chain also requires
// one of Istio's mTLS ALPNs: with the SNI-DNAT clusters' endpoints kept to mTLS
// workloads, a client cannot use the gateway to reach anything but a sidecar's
// mTLS listener. The gateway's AuthorizationPolicies do not apply here, as in Istio:
// the gateway sees no identity, the destination's sidecar enforces its own.
import type { Server } from '../../../api/istio/index.ts';
import type { BuildContext } from '../cluster/context.ts';
import { dnsSrvSubsetKey } from '../common/names.ts';
import { hostSubsetOf } from '../common/hosts.ts';
import { tcpProxyFilter } from './filters.ts';

/** Every ALPN an Istio client offers for mesh mTLS (Istio's allIstioMtlsALPNs). */
export const ISTIO_MTLS_ALPNS = [
  'istio',
  'istio-peer-exchange',
  'istio-http/1.0',
  'istio-http/1.1',
  'istio-h2',
];

/** The server's hosts without their `namespace/` part, which AUTO_PASSTHROUGH ignores (as Istio's SNI hosts). */
function serverHosts(server: Server): string[] {
  return server.hosts.map((h) => h.slice(h.indexOf('/') + 1).toLowerCase());
}

/** The chain forwarding SNI `name` to the SNI-DNAT cluster of the same name. */
function chain(name: string): Record<string, unknown> {
  return {
    filter_chain_match: { server_names: [name], application_protocols: ISTIO_MTLS_ALPNS },
    filters: [tcpProxyFilter(name, { cluster: name })],
  };
}

/**
 * The server's chains, skipping names in `seen` (a chain per SNI on one listener;
 * the first server on the port keeps a name) and adding the rest to it.
 */
export function autoPassthroughChains(
  ctx: BuildContext,
  server: Server,
  seen: Set<string>,
): Record<string, unknown>[] {
  const hosts = serverHosts(server);
  const out: Record<string, unknown>[] = [];
  const add = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    out.push(chain(name));
  };
  for (const service of ctx.push.servicesFor(ctx.proxy)) {
    // A wildcard hostname would make a partial-wildcard server name, which Envoy
    // rejects with the whole listener; no sidecar sends such an SNI anyway.
    if (service.meshExternal || service.hostname.includes('*')) continue;
    if (!hosts.some((h) => hostSubsetOf(service.hostname, h))) continue;
    const rule = ctx.push.destinationRule(ctx.proxy.namespace, service.hostname);
    for (const port of service.ports) {
      if (port.protocol === 'UDP') continue;
      add(dnsSrvSubsetKey(port.port, undefined, service.hostname));
      for (const subset of rule?.spec.subsets ?? [])
        add(dnsSrvSubsetKey(port.port, subset.name, service.hostname));
    }
  }
  return out;
}
