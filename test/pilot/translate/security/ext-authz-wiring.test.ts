// Where CUSTOM reaches: a gateway's server HCMs and TCP servers (through the whole
// LDS generator), providers read from Istio's mesh config file (what `petrel pilot
// --mesh-config` reads in file and kube mode), and never a proxyless gRPC client.
import { describe, expect, it } from 'vitest';
import { validateResource } from '../../../../api/envoy/registry.ts';
import { parseMeshFile } from '../../../../pilot/model/mesh-file.ts';
import { resourcesOf, scenarioFromYaml } from '../support/scenario.ts';
import {
  AUTHZ_HOST,
  GRPC_PROVIDER,
  TWO_POLICIES,
  httpFilters,
  scenario,
  tcpFilters,
  typedConfig,
  type Obj,
} from './ext-authz-support.ts';

describe('CUSTOM on a gateway', () => {
  it("reaches the gateway's server HCMs and TCP servers through LDS", () => {
    const s = scenarioFromYaml(`apiVersion: v1
kind: Service
metadata: { name: my-custom-ext-authz, namespace: foo }
spec: { clusterIP: 10.96.0.50, ports: [{ name: grpc, port: 9000 }] }
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw, namespace: istio-system }
spec:
  selector: { istio: ingressgateway }
  servers:
  - { port: { number: 80, name: http, protocol: HTTP }, hosts: ['*'] }
  - { port: { number: 5432, name: tcp, protocol: TCP }, hosts: ['*'] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: db, namespace: istio-system }
spec:
  hosts: ['*']
  gateways: [gw]
  tcp: [{ match: [{ port: 5432 }], route: [{ destination: { host: ${AUTHZ_HOST}, port: { number: 9000 } } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ext, namespace: istio-system }
spec:
  selector: { matchLabels: { istio: ingressgateway } }
  action: CUSTOM
  provider: { name: default }
  rules: [{ to: [{ operation: { paths: ['/admin*'] } }] }]
---
kind: TestMesh
mesh: { extensionProviders: [${JSON.stringify(GRPC_PROVIDER)}] }
---
kind: TestProxy
name: gateway
node:
  id: router~10.2.0.1~istio-ingressgateway-5f6d7.istio-system~istio-system.svc.cluster.local
  metadata: { NAMESPACE: istio-system, LABELS: { istio: ingressgateway } }
`);
    const listeners = resourcesOf(s, 'lds', 'gateway');
    for (const l of listeners) expect(validateResource(l)).toEqual([]);
    const names = (l: Obj) =>
      ((l.filter_chains as Obj[])[0]!.filters as Obj[]).map((f) => {
        const hcm = typedConfig(f);
        return f.name === 'envoy.filters.network.http_connection_manager'
          ? (hcm.http_filters as Obj[]).map((h) => h.name)
          : f.name;
      });
    const byName = Object.fromEntries(listeners.map((l) => [String(l.name), names(l)]));
    expect(byName['0.0.0.0_80']).toEqual([
      [
        'envoy.filters.http.rbac',
        'envoy.filters.http.ext_authz',
        'envoy.filters.http.fault',
        'envoy.filters.http.cors',
        'envoy.filters.http.router',
      ],
    ]);
    expect(byName['0.0.0.0_5432']).toEqual([
      'envoy.filters.network.rbac',
      'envoy.filters.network.ext_authz',
      'envoy.filters.network.tcp_proxy',
    ]);
  });
});

describe('providers from the --mesh-config file (file and kube mode alike)', () => {
  it("reach the filters: Istio's ConfigMap istio, key mesh, as the chart mounts it", () => {
    const file = parseMeshFile(
      '/etc/istio/config/mesh',
      `apiVersion: v1
kind: ConfigMap
metadata: { name: istio, namespace: istio-system }
data:
  mesh: |-
    extensionProviders:
    - name: default
      envoyExtAuthzGrpc:
        service: ${AUTHZ_HOST}
        port: 9000
        timeout: 250ms
`,
    );
    expect(file.warnings).toEqual([]);
    const [, extAuthz] = httpFilters(scenario(TWO_POLICIES, [...file.mesh.extensionProviders!]));
    expect(typedConfig(extAuthz!).grpc_service).toEqual({
      envoy_grpc: { authority: AUTHZ_HOST, cluster_name: `outbound|9000||${AUTHZ_HOST}` },
      timeout: '0.25s',
    });
  });
});

describe('proxyless gRPC', () => {
  it('still gets no security filters', () => {
    const s = scenario(
      `${TWO_POLICIES}---
kind: TestProxy
name: grpc
node:
  id: sidecar~10.1.0.8~httpbin-2.foo~foo.svc.cluster.local
  metadata: { NAMESPACE: foo, LABELS: { app: httpbin, version: v1 }, GENERATOR: grpc }
`,
      [GRPC_PROVIDER],
    );
    expect(httpFilters(s, 'grpc')).toEqual([]);
    expect(tcpFilters(s, 'grpc')).toEqual([]);
  });
});
