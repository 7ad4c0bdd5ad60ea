// Which DestinationRule traffic policy applies to one cluster: top level, overridden
// per port by portLevelSettings (which replace, not merge, as Istio documents), then
// per subset (fields override), then the subset's own portLevelSettings.
import type { Subset, TrafficPolicy } from '../../../api/istio/index.ts';

/** A traffic policy without portLevelSettings: the settings in force for one port. */
export type PortPolicy = Omit<TrafficPolicy, 'portLevelSettings'>;

function portLevel(policy: TrafficPolicy | undefined, port: number) {
  return policy?.portLevelSettings?.find((p) => p.port.number === port);
}

/** The DestinationRule's top-level policy as it applies to `port`. */
export function policyForPort(
  policy: TrafficPolicy | undefined,
  port: number,
): PortPolicy | undefined {
  if (!policy) return undefined;
  const { portLevelSettings: _ignored, ...top } = policy;
  const level = portLevel(policy, port);
  if (!level) return top;
  // Port-level settings do not inherit from the top level: unset fields fall back to defaults.
  return {
    ...top,
    loadBalancer: level.loadBalancer,
    connectionPool: level.connectionPool,
    outlierDetection: level.outlierDetection,
    tls: level.tls,
  };
}

/** The policy of a subset cluster: the port policy with the subset's fields layered on. */
export function policyForSubset(
  base: PortPolicy | undefined,
  subset: Subset,
  port: number,
): PortPolicy | undefined {
  const own = subset.trafficPolicy;
  if (!own) return base;
  const merged: PortPolicy = { ...base };
  if (own.connectionPool) merged.connectionPool = own.connectionPool;
  if (own.outlierDetection) merged.outlierDetection = own.outlierDetection;
  if (own.loadBalancer) merged.loadBalancer = own.loadBalancer;
  if (own.tls) merged.tls = own.tls;
  if (own.proxyProtocol) merged.proxyProtocol = own.proxyProtocol;
  const level = portLevel(own, port);
  if (level) {
    merged.connectionPool = level.connectionPool;
    merged.outlierDetection = level.outlierDetection;
    merged.loadBalancer = level.loadBalancer;
    merged.tls = level.tls;
  }
  return merged;
}
