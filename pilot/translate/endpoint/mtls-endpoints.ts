// Which endpoints take Istio mTLS, as Istio's EDS judges it (endpoints/mtls_checker.go):
// a DestinationRule tls mode for the cluster's port (subset first, then the rule)
// decides alone, ISTIO_MUTUAL or not; otherwise the endpoint must run a sidecar
// (tlsMode istio) whose PeerAuthentication does not DISABLE mTLS on its port.
// An AUTO_PASSTHROUGH gateway cannot see whether the TLS it passes through is mTLS,
// so its SNI-DNAT clusters keep only these endpoints: no connection can reach a
// workload's plaintext port through it.
import type { ClientTLSSettings, TrafficPolicy } from '../../../api/istio/index.ts';
import { modeForPort } from '../../model/peer-authentication.ts';
import type { DestinationRule, Endpoint } from '../../model/types.ts';
import type { BuildContext } from '../cluster/context.ts';

type TlsMode = ClientTLSSettings['mode'];

/** The tls mode a traffic policy sets for `port`: a port-level setting overrides the top level. */
function policyTlsMode(policy: TrafficPolicy | undefined, port: number): TlsMode | undefined {
  if (!policy) return undefined;
  const level = policy.portLevelSettings?.find((p) => p.port.number === port && p.tls);
  return level?.tls?.mode ?? policy.tls?.mode;
}

/** Istio's tlsModeForDestinationRule: the subset's mode for the port, else the rule's. */
export function ruleTlsMode(
  rule: DestinationRule | undefined,
  subsetName: string | undefined,
  port: number,
): TlsMode | undefined {
  if (!rule) return undefined;
  if (subsetName) {
    const subset = rule.spec.subsets?.find((s) => s.name === subsetName);
    if (!subset) return undefined;
    const own = policyTlsMode(subset.trafficPolicy, port);
    if (own) return own;
  }
  return policyTlsMode(rule.spec.trafficPolicy, port);
}

/**
 * A predicate keeping the endpoints of one cluster (service port `port`, subset
 * `subsetName` of `rule`) that take Istio mTLS.
 */
export function mtlsEndpoints(
  ctx: BuildContext,
  rule: DestinationRule | undefined,
  subsetName: string | undefined,
  port: number,
): (e: Endpoint) => boolean {
  const mode = ruleTlsMode(rule, subsetName, port);
  if (mode !== undefined) {
    const mutual = mode === 'ISTIO_MUTUAL';
    return () => mutual;
  }
  return (e) => e.tlsMode === 'istio' && workloadMode(ctx, e) !== 'DISABLE';
}

/**
 * The PeerAuthentication mode of the endpoint's workload on its port. PushContext
 * composes policies for a proxy from its namespace and labels; the endpoint's
 * workload is looked up the same way, from its own.
 */
function workloadMode(ctx: BuildContext, e: Endpoint): string {
  const policy = ctx.push.peerAuthentication?.({
    ...ctx.proxy,
    namespace: e.namespace,
    labels: e.labels,
  });
  return policy ? modeForPort(policy, e.port) : 'PERMISSIVE';
}
