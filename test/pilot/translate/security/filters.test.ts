// Golden scenarios for pilot/translate/security: Istio security YAML (and Petrel's
// LocalRateLimit) → the HTTP filters each proxy's connection managers get, one
// file per scenario under test/golden/translate/security. Every filter must be
// valid Envoy (strict decode and PGV rules) inside a real HttpConnectionManager.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateResource } from '../../../../api/envoy/registry.ts';
import { familyOf } from '../../../../pilot/translate/cluster/context.ts';
import { httpConnectionManager } from '../../../../pilot/translate/listener/filters.ts';
import { LISTENER, ROUTE_CONFIGURATION } from '../../../../pilot/translate/common/type-urls.ts';
import { applyRouteRateLimits } from '../../../../pilot/translate/security/http-filters.ts';
import { GOLDEN_ROOT, compareGolden } from '../../../support/golden.ts';
import { resourcesOf, scenarioFromYaml, type Scenario } from '../support/scenario.ts';
import { captureTranslationLog } from './ext-authz-support.ts';

type Obj = Record<string, unknown>;

function load(name: string): Scenario {
  const text = readFileSync(join(GOLDEN_ROOT, 'translate', 'security', `${name}.in.yaml`), 'utf8');
  return scenarioFromYaml(text);
}

/** The HCM pilot builds for a proxy's port, through the listener code path (filters.ts). */
function hcmFor(s: Scenario, proxyName: string, port: number): Obj {
  const p = s.proxies.find((x) => x.name === proxyName)!;
  const ctx = { push: s.push, proxy: p.proxy, family: familyOf(p.proxy) };
  return httpConnectionManager({
    statPrefix: `inbound_0.0.0.0_${port}`,
    rds: String(port),
    family: ctx.family,
    inbound: ctx.family === 'sidecar',
    useRemoteAddress: ctx.family === 'router',
    security: { ctx, port },
  });
}

function expectValid(hcm: Obj): void {
  const listener = {
    '@type': LISTENER,
    name: 'check',
    address: { socket_address: { address: '0.0.0.0', port_value: 1 } },
    filter_chains: [
      { filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm }] },
    ],
  };
  expect(validateResource(listener)).toEqual([]);
}

const filterNames = (hcm: Obj) => (hcm.http_filters as Obj[]).map((f) => f.name);

/** Each scenario: the proxies and ports whose filters the golden records. */
const CASES: Record<string, [proxy: string, port: number][]> = {
  'authz-full': [['httpbin', 8000]],
  actions: [
    ['cart', 8080],
    ['catalog', 8080],
  ],
  custom: [
    ['httpbin', 8080],
    ['grpcbin', 8080],
    ['legacy', 8080],
    ['stranger', 8080],
  ],
  jwt: [['ingressgateway', 8080]],
  'rate-limit': [
    ['ingressgateway', 8080],
    ['ingressgateway', 9090],
  ],
};

describe('security filters (golden)', () => {
  // CUSTOM with an unusable provider logs why; the custom case asserts those lines.
  const log = captureTranslationLog();

  it.each(Object.keys(CASES))('%s', (name) => {
    const s = load(name);
    const out: Record<string, Obj[]> = {};
    for (const [proxy, port] of CASES[name]!) {
      const hcm = hcmFor(s, proxy, port);
      expectValid(hcm);
      const filters = hcm.http_filters as Obj[];
      // Security filters first, then the ones every HCM has, router last.
      expect(filterNames(hcm).slice(-3)).toEqual(
        expect.arrayContaining(['envoy.filters.http.fault', 'envoy.filters.http.router']),
      );
      out[`${proxy}:${port}`] = filters.filter(
        (f) =>
          ![
            'envoy.filters.http.fault',
            'envoy.filters.http.cors',
            'envoy.filters.http.router',
          ].includes(String(f.name)),
      );
    }
    compareGolden(`translate/security/${name}.filters`, out);
    if (name === 'custom')
      expect(log).toEqual([
        'error authz: CUSTOM policy foo/ext-broken: provider "broken" cannot be used: extensionProviders[2].envoyExtAuthzHttp.port: must be in 1..65535; the requests it matches are denied',
        'error authz: CUSTOM policy foo/ext-unknown: provider "opa" cannot be used: no ext_authz provider of that name in the mesh config\'s extensionProviders (there are: broken, grpc-authz, http-authz); the requests it matches are denied',
      ]);
    else expect(log).toEqual([]);
  });

  it('puts jwt_authn first, then RBAC AUDIT, DENY, ALLOW, then the rate limit, before fault/CORS/router', () => {
    const s = scenarioFromYaml(
      `${readFileSync(join(GOLDEN_ROOT, 'translate/security/actions.in.yaml'), 'utf8')}
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: jwt, namespace: shop }
spec: { jwtRules: [{ issuer: i, jwksUri: 'https://i.example/jwks' }] }
---
apiVersion: petrel.dev/v1alpha1
kind: LocalRateLimit
metadata: { name: rl, namespace: shop }
spec: { tokenBucket: { maxTokens: 5, fillInterval: 1s } }`,
    );
    const hcm = hcmFor(s, 'cart', 8080);
    expect(filterNames(hcm)).toEqual([
      'envoy.filters.http.jwt_authn',
      'envoy.filters.http.rbac',
      'envoy.filters.http.rbac',
      'envoy.filters.http.rbac',
      'envoy.filters.http.local_ratelimit',
      'envoy.filters.http.fault',
      'envoy.filters.http.cors',
      'envoy.filters.http.router',
    ]);
    const actions = (hcm.http_filters as Obj[])
      .filter((f) => f.name === 'envoy.filters.http.rbac')
      .map((f) => ((f.typed_config as Obj).rules as Obj | undefined)?.action ?? 'shadow only');
    expect(actions).toEqual(['LOG', 'DENY', 'ALLOW']);
  });

  it('gives a proxy no security filters when no policy selects it, and proxyless gRPC none at all', () => {
    const s = load('actions');
    const bank = scenarioFromYaml(`kind: TestProxy
name: teller
node: { id: sidecar~10.1.0.9~teller-1.bank~bank.svc.cluster.local, metadata: { NAMESPACE: other } }`);
    expect(filterNames(hcmFor(bank, 'teller', 80))).toEqual([
      'envoy.filters.http.fault',
      'envoy.filters.http.cors',
      'envoy.filters.http.router',
    ]);
    const cart = s.proxies.find((p) => p.name === 'cart')!;
    const grpc = httpConnectionManager({
      statPrefix: 'x',
      rds: '80',
      family: 'grpc',
      security: { ctx: { push: s.push, proxy: cart.proxy, family: 'grpc' }, port: 80 },
    });
    expect(filterNames(grpc)).toEqual(['envoy.filters.http.fault', 'envoy.filters.http.router']);
  });

  it('adds route buckets to the routes they name, in a valid RouteConfiguration', () => {
    const s = load('rate-limit');
    const gw = s.proxies[0]!;
    const ctx = { push: s.push, proxy: gw.proxy, family: familyOf(gw.proxy) };
    const rc = applyRouteRateLimits(ctx, 8080, {
      '@type': ROUTE_CONFIGURATION,
      name: 'http.8080',
      virtual_hosts: [
        {
          name: 'shop',
          domains: ['*'],
          routes: [
            { name: 'checkout', match: { prefix: '/checkout' }, route: { cluster: 'c' } },
            { name: 'login', match: { prefix: '/login' }, route: { cluster: 'c' } },
            { name: 'browse', match: { prefix: '/' }, route: { cluster: 'c' } },
          ],
        },
      ],
    });
    expect(validateResource(rc)).toEqual([]);
    compareGolden('translate/security/rate-limit.routes', rc);
  });

  it("reaches the HCMs pilot serves: a sidecar's inbound ports and a gateway's HTTP servers, not outbound", () => {
    const s = scenarioFromYaml(`apiVersion: v1
kind: Service
metadata: { name: httpbin, namespace: foo }
spec: { clusterIP: 10.96.0.20, selector: { app: httpbin }, ports: [{ name: http, port: 8000, targetPort: 80 }] }
---
apiVersion: v1
kind: Pod
metadata: { name: httpbin-1, namespace: foo, labels: { app: httpbin } }
spec: { containers: [{ name: httpbin, image: httpbin, ports: [{ containerPort: 80 }] }] }
status: { podIP: 10.1.0.5, phase: Running }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: httpbin-1, namespace: foo, labels: { kubernetes.io/service-name: httpbin } }
addressType: IPv4
ports: [{ name: http, port: 80, protocol: TCP }]
endpoints: [{ addresses: [10.1.0.5], targetRef: { kind: Pod, name: httpbin-1, namespace: foo } }]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ['*'] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-admin, namespace: istio-system }
spec:
  action: DENY
  rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }]
---
kind: TestProxy
name: httpbin
node:
  id: sidecar~10.1.0.5~httpbin-1.foo~foo.svc.cluster.local
  metadata: { NAMESPACE: foo, LABELS: { app: httpbin } }
---
kind: TestProxy
name: ingressgateway
node:
  id: router~10.2.0.1~istio-ingressgateway-5f6d7.istio-system~istio-system.svc.cluster.local
  metadata: { NAMESPACE: istio-system, LABELS: { istio: ingressgateway } }`);
    const hcms = (proxy: string) =>
      resourcesOf(s, 'lds', proxy).flatMap((l) =>
        ((l.filter_chains as Obj[] | undefined) ?? []).flatMap((c) =>
          (c.filters as Obj[])
            .filter((f) => f.name === 'envoy.filters.network.http_connection_manager')
            .map((f) => ({
              listener: String(l.name),
              chain: String(c.name ?? ''),
              hcm: f.typed_config as Obj,
            })),
        ),
      );
    // Distinct listener/chain names (an inbound port may have a chain per transport, TLS or not).
    const withRbac = (proxy: string) => [
      ...new Set(
        hcms(proxy)
          .filter((h) => filterNames(h.hcm).includes('envoy.filters.http.rbac'))
          .map((h) => `${h.listener}/${h.chain}`),
      ),
    ];
    // The mesh-wide DENY reaches the workload's inbound port, its plaintext HTTP
    // passthrough chain (as in Istio) and the gateway's server, nothing else.
    expect(withRbac('httpbin')).toEqual([
      'virtualInbound/0.0.0.0_80',
      'virtualInbound/virtualInbound-catchall-http',
    ]);
    expect(withRbac('ingressgateway')).toEqual(['0.0.0.0_80/']);
    expect(hcms('httpbin').length).toBeGreaterThan(1);
  });
});
