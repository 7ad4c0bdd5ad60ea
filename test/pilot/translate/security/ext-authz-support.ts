// Shared by the CUSTOM (ext_authz) translation tests: Istio's builder test setup
// (pilot/pkg/security/authz/builder: provider `default`, the authorizer
// my-custom-ext-authz in namespace foo, workload httpbin v1) as a Petrel scenario,
// the filters pilot builds for it, and the log lines translation writes.
import { afterEach, beforeEach, expect } from 'vitest';
import { validateResource } from '../../../../api/envoy/registry.ts';
import { familyOf } from '../../../../pilot/translate/cluster/context.ts';
import { LISTENER } from '../../../../pilot/translate/common/type-urls.ts';
import {
  httpConnectionManager,
  tcpProxyFilter,
} from '../../../../pilot/translate/listener/filters.ts';
import { securityNetworkFilters } from '../../../../pilot/translate/security/network-filters.ts';
import { setTranslationLog } from '../../../../pilot/translate/security/translation-log.ts';
import { scenarioFromYaml, type Scenario } from '../support/scenario.ts';

export type Obj = Record<string, unknown>;

export const AUTHZ_HOST = 'my-custom-ext-authz.foo.svc.cluster.local';

/** The authorizer's Service (HTTP on 8000, gRPC on 9000) and the httpbin sidecar. */
const BASE = `apiVersion: v1
kind: Service
metadata: { name: my-custom-ext-authz, namespace: foo }
spec: { clusterIP: 10.96.0.50, ports: [{ name: http, port: 8000 }, { name: grpc, port: 9000 }] }
---
kind: TestProxy
name: httpbin
node:
  id: sidecar~10.1.0.7~httpbin-1.foo~foo.svc.cluster.local
  metadata: { NAMESPACE: foo, LABELS: { app: httpbin, version: v1 } }
`;

/** A CUSTOM policy in namespace foo selecting httpbin v1, rules as YAML flow text. */
export function customPolicy(
  name: string,
  provider: string,
  rules = "[{ to: [{ operation: { paths: ['/httpbin1'] } }] }]",
  annotations = '',
): string {
  return `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ${name}, namespace: foo${annotations ? `, annotations: { ${annotations} }` : ''} }
spec:
  action: CUSTOM
  provider: { name: ${provider} }
  selector: { matchLabels: { app: httpbin, version: v1 } }
  rules: ${rules}
`;
}

/** Istio's custom-simple-http-in.yaml: two CUSTOM policies of provider `default`. */
export const TWO_POLICIES = `${customPolicy('httpbin-1', 'default')}---
${customPolicy('httpbin-2', 'default', "[{ to: [{ operation: { paths: ['/httpbin2'] } }] }]")}`;

/** Istio's builder tests' gRPC provider (meshConfigGRPC). */
export const GRPC_PROVIDER = {
  name: 'default',
  envoyExtAuthzGrpc: {
    service: `foo/${AUTHZ_HOST}`,
    port: 9000,
    timeout: '0.002s',
    failOpen: true,
    statusOnError: '403',
    includeRequestBodyInCheck: { maxRequestBytes: 4096, allowPartialMessage: true },
  },
};

/** Istio's builder tests' HTTP provider (meshConfigHTTP), on the HTTP port. */
export const HTTP_PROVIDER = {
  name: 'default',
  envoyExtAuthzHttp: {
    service: `foo/${AUTHZ_HOST}`,
    port: 8000,
    timeout: '10s',
    failOpen: true,
    statusOnError: '403',
    pathPrefix: '/check',
    includeRequestHeadersInCheck: ['x-custom-id', 'x-prefix-*', '*-suffix'],
    includeHeadersInCheck: ['should-not-include-when-IncludeRequestHeadersInCheck-is-set'],
    includeAdditionalHeadersInCheck: { 'x-header-2': 'value-2', 'x-header-1': 'value-1' },
    includeRequestBodyInCheck: {
      maxRequestBytes: 2048,
      allowPartialMessage: true,
      packAsBytes: true,
    },
    headersToUpstreamOnAllow: ['Authorization', 'x-prefix-*', '*-suffix'],
    headersToDownstreamOnDeny: ['Set-cookie', 'x-prefix-*', '*-suffix'],
    headersToDownstreamOnAllow: ['Set-cookie', 'x-prefix-*', '*-suffix'],
  },
};

/** BASE + `yaml` + a TestMesh with these extensionProviders. */
export function scenario(yaml: string, providers: unknown[] = []): Scenario {
  const mesh = `kind: TestMesh\nmesh: ${JSON.stringify({ extensionProviders: providers })}\n`;
  return scenarioFromYaml(`${BASE}---\n${yaml}---\n${mesh}`);
}

export function ctxOf(s: Scenario, proxyName = 'httpbin') {
  const p = s.proxies.find((x) => x.name === proxyName)!;
  return { push: s.push, proxy: p.proxy, family: familyOf(p.proxy) };
}

/** The security HTTP filters of the proxy's HCM on `port`, checked valid for Envoy. */
export function httpFilters(s: Scenario, proxyName = 'httpbin', port = 8080): Obj[] {
  const ctx = ctxOf(s, proxyName);
  const hcm = httpConnectionManager({
    statPrefix: `inbound_0.0.0.0_${port}`,
    rds: String(port),
    family: ctx.family,
    inbound: ctx.family === 'sidecar',
    security: { ctx, port },
  });
  expectValidListener([
    { name: 'envoy.filters.network.http_connection_manager', typed_config: hcm },
  ]);
  return (hcm.http_filters as Obj[]).filter(
    (f) =>
      ![
        'envoy.filters.http.fault',
        'envoy.filters.http.cors',
        'envoy.filters.http.router',
      ].includes(String(f.name)),
  );
}

/** The security network filters of the proxy's TCP chains, checked valid before a tcp_proxy. */
export function tcpFilters(s: Scenario, proxyName = 'httpbin'): Obj[] {
  const filters = securityNetworkFilters(ctxOf(s, proxyName));
  expectValidListener([...filters, tcpProxyFilter('c', { cluster: 'c' })]);
  return filters;
}

function expectValidListener(filters: Obj[]): void {
  const listener = {
    '@type': LISTENER,
    name: 'check',
    address: { socket_address: { address: '0.0.0.0', port_value: 1 } },
    filter_chains: [{ filters }],
  };
  expect(validateResource(listener)).toEqual([]);
}

export const typedConfig = (f: Obj) => f.typed_config as Obj;

/** The lines translation logs during each test (`level message`). */
export function captureTranslationLog(): string[] {
  const lines: string[] = [];
  let restore: (() => void) | undefined;
  beforeEach(() => {
    lines.length = 0;
    restore = setTranslationLog({
      debug: (m) => lines.push(`debug ${m}`),
      warn: (m) => lines.push(`warn ${m}`),
      error: (m) => lines.push(`error ${m}`),
    });
  });
  afterEach(() => restore?.());
  return lines;
}
