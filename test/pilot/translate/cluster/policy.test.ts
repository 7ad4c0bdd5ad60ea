// Which DestinationRule settings reach a cluster: port-level settings replace the
// top level wholesale (unset fields fall back to defaults, as Istio documents),
// subsets override only what they set, a subset's own port-level settings replace.
import { describe, expect, it } from 'vitest';
import type { Subset, TrafficPolicy } from '../../../../api/istio/index.ts';
import { policyForPort, policyForSubset } from '../../../../pilot/translate/cluster/policy.ts';

const top: TrafficPolicy = {
  loadBalancer: { simple: 'RANDOM' },
  tls: { mode: 'ISTIO_MUTUAL' },
  connectionPool: { tcp: { maxConnections: 10 } },
  portLevelSettings: [{ port: { number: 8080 }, loadBalancer: { simple: 'ROUND_ROBIN' } }],
};

describe('policyForPort', () => {
  it('keeps the top level on ports without port-level settings', () => {
    expect(policyForPort(top, 9090)).toEqual({
      loadBalancer: { simple: 'RANDOM' },
      tls: { mode: 'ISTIO_MUTUAL' },
      connectionPool: { tcp: { maxConnections: 10 } },
    });
  });

  it('replaces every top-level field on a port with port-level settings', () => {
    const p = policyForPort(top, 8080)!;
    expect(p.loadBalancer).toEqual({ simple: 'ROUND_ROBIN' });
    expect(p.tls).toBeUndefined();
    expect(p.connectionPool).toBeUndefined();
  });

  it('is undefined without a policy', () => {
    expect(policyForPort(undefined, 80)).toBeUndefined();
  });
});

describe('policyForSubset', () => {
  const subset: Subset = {
    name: 'v2',
    trafficPolicy: {
      outlierDetection: { consecutive5xxErrors: 1 },
      portLevelSettings: [{ port: { number: 7070 }, tls: { mode: 'DISABLE' } }],
    },
  };

  it('layers the fields the subset sets over the port policy', () => {
    const p = policyForSubset(policyForPort(top, 9090), subset, 9090)!;
    expect(p.loadBalancer).toEqual({ simple: 'RANDOM' });
    expect(p.tls).toEqual({ mode: 'ISTIO_MUTUAL' });
    expect(p.outlierDetection).toEqual({ consecutive5xxErrors: 1 });
  });

  it("lets the subset's port-level settings replace everything on that port", () => {
    const p = policyForSubset(policyForPort(top, 7070), subset, 7070)!;
    expect(p).toMatchObject({ tls: { mode: 'DISABLE' } });
    expect(p.loadBalancer).toBeUndefined();
    expect(p.outlierDetection).toBeUndefined();
  });

  it('returns the port policy for a subset without its own policy', () => {
    const base = policyForPort(top, 9090);
    expect(policyForSubset(base, { name: 'v1' }, 9090)).toBe(base);
  });
});
