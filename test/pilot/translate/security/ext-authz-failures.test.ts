// AuthorizationPolicy CUSTOM when its provider cannot be used: the CUSTOM rules
// become an enforced DENY (`…-deny-due-to-bad-CUSTOM-action`), as in Istio, and
// pilot logs one line saying why, once per push. An HTTP provider does not apply
// to TCP chains (skipped there, as Istio does, with a line saying so).
import { describe, expect, it } from 'vitest';
import { rbacFilters } from '../../../../pilot/translate/security/rbac.ts';
import {
  AUTHZ_HOST,
  GRPC_PROVIDER,
  HTTP_PROVIDER,
  captureTranslationLog,
  customPolicy,
  httpFilters,
  scenario,
  tcpFilters,
  typedConfig,
  type Obj,
} from './ext-authz-support.ts';

const log = captureTranslationLog();

const ONE = customPolicy('httpbin-1', 'default');
const SUFFIX = '-deny-due-to-bad-CUSTOM-action';

/** The filters are one enforced DENY RBAC per provider, with these policy names. */
function expectDenied(filters: Obj[], names: string[][], tcp = false): void {
  expect(filters.map((f) => f.name)).toEqual(
    names.map(() => (tcp ? 'envoy.filters.network.rbac' : 'envoy.filters.http.rbac')),
  );
  filters.forEach((f, i) => {
    const config = typedConfig(f);
    expect(config.shadow_rules).toBeUndefined();
    expect(config.stat_prefix).toBe(tcp ? 'tcp.' : undefined);
    const rules = config.rules as { action: string; policies: Obj };
    expect(rules.action).toBe('DENY');
    expect(Object.keys(rules.policies)).toEqual(names[i]);
  });
}

describe('CUSTOM with a provider Petrel cannot use', () => {
  it('denies when the mesh config has no ext_authz provider of that name', () => {
    const s = scenario(ONE, [{ ...GRPC_PROVIDER, name: 'other' }]);
    expectDenied(httpFilters(s), [
      [`istio-ext-authz-default-ns[foo]-policy[httpbin-1]-rule[0]${SUFFIX}`],
    ]);
    expect(log).toEqual([
      'error authz: CUSTOM policy foo/httpbin-1: provider "default" cannot be used: no ext_authz provider of that name in the mesh config\'s extensionProviders (there are: other); the requests it matches are denied',
    ]);
  });

  it('denies when the provider is bad, saying which field', () => {
    const bad = {
      name: 'default',
      envoyExtAuthzHttp: { ...HTTP_PROVIDER.envoyExtAuthzHttp, pathPrefix: 'check' },
    };
    expectDenied(httpFilters(scenario(ONE, [bad])), [
      [`istio-ext-authz-default-ns[foo]-policy[httpbin-1]-rule[0]${SUFFIX}`],
    ]);
    expect(log).toEqual([
      'error authz: CUSTOM policy foo/httpbin-1: provider "default" cannot be used: extensionProviders[0].envoyExtAuthzHttp.pathPrefix: must begin with `/`; the requests it matches are denied',
    ]);
  });

  it.each([
    [
      'a service pilot does not know',
      { service: 'nowhere.foo.svc.cluster.local', port: 9000 },
      'envoyExtAuthzGrpc.service: nowhere.foo.svc.cluster.local is not a Service or ServiceEntry host pilot knows',
    ],
    [
      'a namespace that does not define it',
      { service: `bar/${AUTHZ_HOST}`, port: 9000 },
      `envoyExtAuthzGrpc.service: no Service or ServiceEntry ${AUTHZ_HOST} in namespace bar`,
    ],
    [
      'a port the service does not declare',
      { service: AUTHZ_HOST, port: 7000 },
      `envoyExtAuthzGrpc.service: ${AUTHZ_HOST} (Service/foo/my-custom-ext-authz) has no port 7000`,
    ],
  ])('denies when the provider names %s', (_what, spec, why) => {
    const s = scenario(ONE, [{ name: 'default', envoyExtAuthzGrpc: spec }]);
    expectDenied(httpFilters(s), [
      [`istio-ext-authz-default-ns[foo]-policy[httpbin-1]-rule[0]${SUFFIX}`],
    ]);
    expect(log).toEqual([
      `error authz: CUSTOM policy foo/httpbin-1: provider "default" cannot be used: ${why}; the requests it matches are denied`,
    ]);
  });

  it('asks for namespace/host when several namespaces define the host (Istio LookupCluster)', () => {
    const entry = (ns: string) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: authz, namespace: ${ns} }
spec: { hosts: [authz.example.com], ports: [{ number: 9000, name: grpc, protocol: GRPC }], resolution: DNS }
---
`;
    const s = scenario(`${entry('foo')}${entry('bar')}${ONE}`, [
      { name: 'default', envoyExtAuthzGrpc: { service: 'authz.example.com', port: 9000 } },
    ]);
    expectDenied(httpFilters(s), [
      [`istio-ext-authz-default-ns[foo]-policy[httpbin-1]-rule[0]${SUFFIX}`],
    ]);
    expect(log[0]).toContain(
      'envoyExtAuthzGrpc.service: authz.example.com is defined in namespaces bar, foo: name one as <namespace>/authz.example.com',
    );
    const named = scenario(`${entry('foo')}${entry('bar')}${ONE}`, [
      { name: 'default', envoyExtAuthzGrpc: { service: 'bar/authz.example.com', port: 9000 } },
    ]);
    expect(httpFilters(named).map((f) => f.name)).toEqual([
      'envoy.filters.http.rbac',
      'envoy.filters.http.ext_authz',
    ]);
  });

  it('leaves dry-run policies out of the DENY, as Istio does', () => {
    const s = scenario(
      `${ONE}---\n${customPolicy('trial', 'default', undefined, 'istio.io/dry-run: "true"')}`,
    );
    expectDenied(httpFilters(s), [
      [`istio-ext-authz-default-ns[foo]-policy[httpbin-1]-rule[0]${SUFFIX}`],
    ]);
  });

  it('denies on TCP chains too, with the TCP form of the rules', () => {
    expectDenied(
      tcpFilters(scenario(ONE)),
      [[`istio-ext-authz-default-ns[foo]-policy[httpbin-1]-rule[0]${SUFFIX}`]],
      true,
    );
  });

  it('logs each line once per push, however many proxies and chains ask', () => {
    const s = scenario(ONE);
    httpFilters(s);
    httpFilters(s);
    tcpFilters(s);
    expect(log).toHaveLength(1);
    httpFilters(scenario(ONE));
    expect(log).toHaveLength(2);
  });
});

describe('CUSTOM policies of one workload naming two providers', () => {
  it("deny with every provider's rules, one filter per provider in name order, and log an error", () => {
    const s = scenario(
      `${customPolicy('httpbin-1', 'default')}---
${customPolicy('httpbin-2', 'another', "[{ to: [{ operation: { paths: ['/httpbin2'] } }] }]")}`,
      [GRPC_PROVIDER, { ...GRPC_PROVIDER, name: 'another' }],
    );
    const names = [
      [`istio-ext-authz-another-ns[foo]-policy[httpbin-2]-rule[0]${SUFFIX}`],
      [`istio-ext-authz-default-ns[foo]-policy[httpbin-1]-rule[0]${SUFFIX}`],
    ];
    expectDenied(httpFilters(s), names);
    expectDenied(tcpFilters(s), names, true);
    expect(log).toEqual([
      'error authz: CUSTOM policies foo/httpbin-2 (provider "another"), foo/httpbin-1 (provider "default") select one workload (namespace foo) with 2 providers; Istio allows one provider per workload: every CUSTOM rule of it denies the requests it matches',
    ]);
  });
});

describe('CUSTOM with an HTTP provider on TCP chains', () => {
  it('is skipped there, as Istio does, with a warning; HTTP chains still get it', () => {
    const s = scenario(ONE, [HTTP_PROVIDER]);
    expect(tcpFilters(s)).toEqual([]);
    expect(httpFilters(s).map((f) => f.name)).toEqual([
      'envoy.filters.http.rbac',
      'envoy.filters.http.ext_authz',
    ]);
    expect(log).toEqual([
      'warn authz: CUSTOM policy foo/httpbin-1: provider "default" is an HTTP authorizer (envoyExtAuthzHttp): it does not check TCP traffic (Istio skips it on TCP filter chains too); use an envoyExtAuthzGrpc provider for that',
    ]);
  });
});

describe('rbacFilters without a push (no mesh providers to resolve)', () => {
  it('denies what CUSTOM policies match, per provider, as Istio does for an unknown provider', () => {
    const s = scenario(ONE);
    const custom = s.push.workloadPolicies!(s.proxies[0]!.proxy).custom;
    const filters = rbacFilters({ allow: [], deny: [], audit: [], custom });
    expectDenied(filters, [[`istio-ext-authz-default-ns[foo]-policy[httpbin-1]-rule[0]${SUFFIX}`]]);
  });
});
