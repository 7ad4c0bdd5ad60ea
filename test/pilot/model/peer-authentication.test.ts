// PeerAuthentication composed as Istio does: workload over namespace over mesh,
// UNSET inheriting, the oldest policy of a level winning, port-level overrides, and
// the schema's own rules.
import { describe, expect, it } from 'vitest';
import type { ConfigObject } from '../../../api/config/object.ts';
import { validateConfig } from '../../../api/istio/validate.ts';
import { push, service, sidecarProxy } from './fixtures.ts';

function pa(
  name: string,
  namespace: string,
  spec: Record<string, unknown>,
  created?: string,
): ConfigObject {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { name, namespace, ...(created ? { creationTimestamp: created } : {}) },
    spec,
  };
}

const app = sidecarProxy('shop', { labels: { app: 'cart' } });

describe('PeerAuthentication precedence', () => {
  it('with no policy at all, workloads accept both (PERMISSIVE)', () => {
    expect(push([]).peerAuthentication!(app)).toEqual({ mode: 'PERMISSIVE', perPort: new Map() });
  });

  it('mesh-wide in the root namespace, overridden by the namespace, overridden by the workload', () => {
    const mesh = pa('default', 'istio-system', { mtls: { mode: 'STRICT' } });
    expect(push([mesh]).peerAuthentication!(app).mode).toBe('STRICT');
    const ns = pa('default', 'shop', { mtls: { mode: 'DISABLE' } });
    expect(push([mesh, ns]).peerAuthentication!(app).mode).toBe('DISABLE');
    const workload = pa('cart', 'shop', {
      selector: { matchLabels: { app: 'cart' } },
      mtls: { mode: 'PERMISSIVE' },
    });
    expect(push([mesh, ns, workload]).peerAuthentication!(app).mode).toBe('PERMISSIVE');
    // A selector that does not match, or a policy in another namespace, changes nothing.
    const other = pa('other', 'shop', {
      selector: { matchLabels: { app: 'other' } },
      mtls: { mode: 'STRICT' },
    });
    const elsewhere = pa('default', 'billing', { mtls: { mode: 'STRICT' } });
    expect(push([ns, other, elsewhere]).peerAuthentication!(app).mode).toBe('DISABLE');
  });

  it('UNSET inherits from the level above', () => {
    const pc = push([
      pa('default', 'istio-system', { mtls: { mode: 'STRICT' } }),
      pa('default', 'shop', { mtls: { mode: 'UNSET' } }),
      pa('cart', 'shop', { selector: { matchLabels: { app: 'cart' } } }),
    ]);
    expect(pc.peerAuthentication!(app).mode).toBe('STRICT');
  });

  it('the oldest policy of a level wins', () => {
    const pc = push([
      pa('b-newer', 'shop', { mtls: { mode: 'DISABLE' } }, '2024-06-01T00:00:00Z'),
      pa('a-older', 'shop', { mtls: { mode: 'STRICT' } }, '2024-01-01T00:00:00Z'),
    ]);
    expect(pc.peerAuthentication!(app).mode).toBe('STRICT');
  });

  it('portLevelMtls overrides per workload port; a port-level UNSET takes the workload mode', () => {
    const pc = push([
      pa('cart', 'shop', {
        selector: { matchLabels: { app: 'cart' } },
        mtls: { mode: 'STRICT' },
        portLevelMtls: { '8080': { mode: 'DISABLE' }, '9090': { mode: 'UNSET' } },
      }),
    ]);
    const m = pc.peerAuthentication!(app);
    expect([m.mode, m.perPort.get(8080), m.perPort.get(9090), m.perPort.get(1)]).toEqual([
      'STRICT',
      'DISABLE',
      'STRICT',
      undefined,
    ]);
  });

  it("infers a service's mode from mesh and namespace policies only; external services are DISABLE", () => {
    const pc = push([
      pa('default', 'istio-system', { mtls: { mode: 'STRICT' } }),
      pa('default', 'legacy', { mtls: { mode: 'DISABLE' } }),
      service('old', 'legacy', [{ name: 'http', port: 80 }]),
      service('cart', 'shop', [{ name: 'http', port: 80 }]),
    ]);
    expect(pc.serviceMtlsMode!(pc.service('old.legacy.svc.cluster.local', 'legacy')!)).toBe(
      'DISABLE',
    );
    expect(pc.serviceMtlsMode!(pc.service('cart.shop.svc.cluster.local', 'shop')!)).toBe('STRICT');
  });
});

describe('PeerAuthentication schema', () => {
  const errors = (spec: Record<string, unknown>) => validateConfig(pa('x', 'shop', spec)).errors;

  it('accepts Istio policies and reports bad modes and ports with the field path', () => {
    expect(errors({ mtls: { mode: 'STRICT' } })).toEqual([]);
    expect(errors({ mtls: { mode: 'strict' } }).join()).toMatch(/spec\.mtls\.mode/);
    expect(
      errors({
        selector: { matchLabels: { app: 'a' } },
        portLevelMtls: { '0': { mode: 'STRICT' } },
      }).join(),
    ).toMatch(/portLevelMtls/);
    expect(errors({ mtls: { mode: 'STRICT' }, extra: true }).length).toBe(1);
  });

  it('refuses portLevelMtls without a selector, as Istio does', () => {
    expect(errors({ portLevelMtls: { '8080': { mode: 'DISABLE' } } }).join()).toMatch(
      /portLevelMtls.*cannot have portLevelMtls/,
    );
  });
});
