// Behaviour of a sidecar's outbound routes, checked by sending simulated requests
// through the generated RouteConfiguration: a request goes where the
// VirtualService says, in order, with the catch-all last, by any Host form a client
// in the mesh can use; unknown hosts pass through or are refused.
import { describe, expect, it } from 'vitest';
import { loadScenario, named, resourcesOf, scenarioFromYaml } from '../support/scenario.ts';
import { simulate } from '../support/route-sim.ts';

const V1 = 'outbound|9080|v1|reviews.default.svc.cluster.local';
const V2 = 'outbound|9080|v2|reviews.default.svc.cluster.local';
const V3 = 'outbound|9080|v3|reviews.default.svc.cluster.local';

describe('sidecar routes (header-match scenario)', () => {
  const rc = named(resourcesOf(loadScenario('header-match'), 'rds'), '9080');
  const go = (path: string, extra: Partial<Parameters<typeof simulate>[1]> = {}) =>
    simulate(rc, { host: 'reviews:9080', path, ...extra });

  it('sends jason to v2 by the end-user header', () => {
    expect(go('/', { headers: { 'end-user': 'jason' } })?.cluster).toBe(V2);
    expect(go('/', { headers: { 'end-user': 'jasonx' } })?.route).toBe('catch-all');
  });

  it('treats withoutHeaders as "must not match" and a missing header as not matching', () => {
    expect(go('/', { headers: { 'x-canary': '1' } })?.cluster).toBe(V3);
    expect(go('/', { headers: { 'x-canary': '1', cookie: 'a=b; session=42' } })?.route).toBe(
      'catch-all',
    );
  });

  it('matches the uri prefix ignoring case only where ignoreUriCase says so, with the method', () => {
    expect(go('/API/V1/items', { method: 'GET' })?.route).toBe('api.get');
    expect(go('/api/v1/items', { method: 'POST' })?.route).toBe('catch-all');
    expect(go('/HEALTH')?.route).toBe('catch-all');
    expect(go('/health')?.route).toBe('api.exact');
  });

  it('anchors a uri regex to the whole path and checks the scheme', () => {
    expect(go('/item/42', { scheme: 'https' })?.route).toBe('api.regex');
    expect(go('/item/42', { scheme: 'http' })?.route).toBe('catch-all');
    expect(go('/item/42/reviews', { scheme: 'https' })?.route).toBe('catch-all');
  });

  it('needs every query parameter condition', () => {
    expect(go('/?debug=1&trace=tx')?.cluster).toBe(V2);
    expect(go('/?debug=1')?.route).toBe('catch-all');
  });

  it('never routes to a route after the catch-all, nor to matches for another port or source', () => {
    const routes = (rc.virtual_hosts as { name: string; routes: { name: string }[] }[])
      .find((v) => v.name.startsWith('reviews'))!
      .routes.map((r) => r.name);
    expect(routes).not.toContain('unreachable');
    expect(routes).not.toContain('other-port');
    expect(routes).not.toContain('other-source');
    expect(routes.at(-1)).toBe('catch-all');
    expect(go('/anything')?.cluster).toBe(V1);
  });
});

describe('sidecar routes (host forms and fallbacks)', () => {
  const s = loadScenario('weighted-subsets');
  const rc = named(resourcesOf(s, 'rds'), '9080');

  it.each([
    'reviews',
    'reviews:9080',
    'reviews.default',
    'reviews.default.svc:9080',
    'reviews.default.svc.cluster.local',
    'REVIEWS.default.svc.cluster.local:9080',
    '10.96.0.11',
    '10.96.0.11:9080',
  ])('reaches the reviews split as %s', (host) => {
    expect(simulate(rc, { host, path: '/' })?.weighted).toEqual([
      { name: V1, weight: 80 },
      { name: V2, weight: 20 },
    ]);
  });

  it('gives a service without a VirtualService its default cluster', () => {
    expect(simulate(rc, { host: 'details', path: '/x' })).toMatchObject({
      route: 'default',
      cluster: 'outbound|9080||details.default.svc.cluster.local',
    });
  });

  it('passes an unknown host through under ALLOW_ANY', () => {
    expect(simulate(rc, { host: 'example.com', path: '/' })).toMatchObject({
      virtualHost: 'allow_any',
      cluster: 'PassthroughCluster',
    });
  });

  it('answers 502 for an unknown host under REGISTRY_ONLY', () => {
    const blocked = named(resourcesOf(loadScenario('sidecar-scope'), 'rds', 'productpage'), '9080');
    expect(simulate(blocked, { host: 'details', path: '/' })).toMatchObject({
      virtualHost: 'block_all',
      directResponse: { status: 502 },
    });
  });
});

describe('sidecar routes (precedence among several claims)', () => {
  const s = scenarioFromYaml(`
kind: TestInclude
file: base/bookinfo.yaml
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: widest, namespace: default, creationTimestamp: "2024-01-01T00:00:00Z"}
spec:
  hosts: ["*.svc.cluster.local"]
  http: [{name: widest, route: [{destination: {host: details}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: narrower, namespace: default, creationTimestamp: "2024-01-02T00:00:00Z"}
spec:
  hosts: ["*.default.svc.cluster.local"]
  http: [{name: narrower, route: [{destination: {host: details}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: first-exact, namespace: default, creationTimestamp: "2024-01-03T00:00:00Z"}
spec:
  hosts: [ratings]
  http: [{name: first-exact, route: [{destination: {host: reviews}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: second-exact, namespace: default, creationTimestamp: "2024-01-04T00:00:00Z"}
spec:
  hosts: [ratings.default.svc.cluster.local]
  http: [{name: second-exact, route: [{destination: {host: reviews}}]}]
---
kind: TestProxy
name: p
node: {id: sidecar~10.1.0.1~productpage-v1-7d9b8.default~default.svc.cluster.local, metadata: {NAMESPACE: default}}
`);
  const rc = named(resourcesOf(s, 'rds'), '9080');

  it('lets the most specific wildcard win even when a wider one is older', () => {
    expect(simulate(rc, { host: 'details', path: '/' })?.route).toBe('narrower');
  });

  it('lets the older of two exact claims win', () => {
    expect(simulate(rc, { host: 'ratings', path: '/' })?.route).toBe('first-exact');
  });
});

describe('sidecar routes (which VirtualService claims a host)', () => {
  const s = scenarioFromYaml(`
kind: TestInclude
file: base/bookinfo.yaml
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: wide, namespace: default}
spec:
  hosts: ["*.default.svc.cluster.local"]
  http: [{name: wide, route: [{destination: {host: details}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: exact, namespace: default}
spec:
  hosts: [ratings]
  http: [{name: exact, route: [{destination: {host: reviews}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: tcp-only, namespace: default}
spec:
  hosts: [productpage]
  tcp: [{route: [{destination: {host: details}}]}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: other-port-only, namespace: default}
spec:
  hosts: [reviews]
  http: [{match: [{port: 8080}], route: [{destination: {host: details}}]}]
---
kind: TestProxy
name: p
node: {id: sidecar~10.1.0.1~productpage-v1-7d9b8.default~default.svc.cluster.local, metadata: {NAMESPACE: default}}
`);
  const rc = named(resourcesOf(s, 'rds'), '9080');

  it('lets an exact host win over a wildcard', () => {
    expect(simulate(rc, { host: 'ratings', path: '/' })?.route).toBe('exact');
  });

  it('lets a wildcard cover the other services', () => {
    expect(simulate(rc, { host: 'details', path: '/' })?.route).toBe('wide');
  });

  it('ignores a VirtualService with no HTTP routes for HTTP routing', () => {
    expect(simulate(rc, { host: 'productpage', path: '/' })?.route).toBe('wide');
  });

  it('uses the most specific claim even when its routes do not apply to this port, then the default route', () => {
    // reviews is claimed exactly by other-port-only, whose only match is for port 8080.
    expect(simulate(rc, { host: 'reviews', path: '/' })).toMatchObject({
      route: 'default',
      cluster: 'outbound|9080||reviews.default.svc.cluster.local',
    });
  });
});

describe('sidecar route configs shared across proxies', () => {
  const yaml = (sourceLabels: boolean) => `
kind: TestInclude
file: base/bookinfo.yaml
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - name: from-v1
    match: [{${sourceLabels ? 'sourceLabels: {version: v1}' : 'sourceNamespace: default'}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - name: rest
    route: [{destination: {host: reviews, subset: v1}}]
---
kind: TestProxy
name: a
node: {id: sidecar~10.1.0.1~productpage-v1-1.default~default.svc.cluster.local, metadata: {NAMESPACE: default, LABELS: {app: productpage, version: v1}}}
---
kind: TestProxy
name: b
node: {id: sidecar~10.1.0.2~productpage-v2-1.default~default.svc.cluster.local, metadata: {NAMESPACE: default, LABELS: {app: productpage, version: v2}}}
---
kind: TestProxy
name: c
node: {id: sidecar~10.1.0.3~other-1.other~other.svc.cluster.local, metadata: {NAMESPACE: other}}
`;
  const rds = (s: ReturnType<typeof scenarioFromYaml>, proxy: string) =>
    named(resourcesOf(s, 'rds', proxy), '9080');

  it('hands proxies of one namespace the same object when nothing depends on their labels', () => {
    const s = scenarioFromYaml(yaml(false));
    expect(rds(s, 'a')).toBe(rds(s, 'b'));
    expect(rds(s, 'c')).not.toBe(rds(s, 'a'));
    // The other namespace sees short names of its own: no `reviews` domain there.
    expect(simulate(rds(s, 'c'), { host: 'reviews', path: '/' })?.route).toBe('allow_any');
  });

  it('keeps proxies apart by labels when a VirtualService matches sourceLabels', () => {
    const s = scenarioFromYaml(yaml(true));
    expect(rds(s, 'a')).not.toBe(rds(s, 'b'));
    expect(simulate(rds(s, 'a'), { host: 'reviews', path: '/' })?.route).toBe('from-v1');
    expect(simulate(rds(s, 'b'), { host: 'reviews', path: '/' })?.route).toBe('rest');
  });
});
