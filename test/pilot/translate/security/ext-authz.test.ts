// AuthorizationPolicy CUSTOM with a usable provider: per provider an RBAC filter
// with the CUSTOM rules as shadow rules, then ext_authz enabled by their match —
// field for field what Istio's authz builder emits for the same input (its
// testdata custom-http-provider / custom-grpc-provider / custom-both-http-tcp,
// here in Envoy's snake_case form), valid for Envoy (ext-authz-wiring.test.ts:
// gateways, the mesh config file, proxyless gRPC).
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  AUTHZ_HOST,
  GRPC_PROVIDER,
  HTTP_PROVIDER,
  TWO_POLICIES,
  captureTranslationLog,
  customPolicy,
  httpFilters,
  scenario,
  tcpFilters,
  typedConfig,
  type Obj,
} from './ext-authz-support.ts';

const log = captureTranslationLog();

const pathRule = (path: string) => ({
  permissions: [
    { and_rules: { rules: [{ or_rules: { rules: [{ url_path: { path: { exact: path } } }] } }] } },
  ],
  principals: [{ and_ids: { ids: [{ any: true }] } }],
});

const ENABLED_WHEN_MATCHED = {
  filter: 'envoy.filters.http.rbac',
  path: [{ key: 'istio_ext_authz_shadow_effective_policy_id' }],
  value: { string_match: { prefix: 'istio-ext-authz-default' } },
};

describe('CUSTOM with an HTTP provider', () => {
  const filters = () => httpFilters(scenario(TWO_POLICIES, [HTTP_PROVIDER]));

  it('evaluates the CUSTOM rules as shadow rules named istio-ext-authz-<provider>-…', () => {
    const [rbac] = filters();
    expect(rbac!.name).toBe('envoy.filters.http.rbac');
    expect(typedConfig(rbac!)).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.rbac.v3.RBAC',
      shadow_rules: {
        action: 'DENY',
        policies: {
          'istio-ext-authz-default-ns[foo]-policy[httpbin-1]-rule[0]': pathRule('/httpbin1'),
          'istio-ext-authz-default-ns[foo]-policy[httpbin-2]-rule[0]': pathRule('/httpbin2'),
        },
      },
      shadow_rules_stat_prefix: 'istio_ext_authz_',
    });
  });

  it('then ext_authz with http_service, as Istio builds it', () => {
    const [, extAuthz] = filters();
    expect(extAuthz!.name).toBe('envoy.filters.http.ext_authz');
    const matchers = (first: string) => ({
      patterns: [
        { exact: first, ignore_case: true },
        { prefix: 'x-prefix-', ignore_case: true },
        { suffix: '-suffix', ignore_case: true },
      ],
    });
    expect(typedConfig(extAuthz!)).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz',
      allowed_headers: matchers('x-custom-id'),
      failure_mode_allow: true,
      filter_enabled_metadata: ENABLED_WHEN_MATCHED,
      http_service: {
        authorization_request: {
          headers_to_add: [
            { key: 'x-header-1', value: 'value-1' },
            { key: 'x-header-2', value: 'value-2' },
          ],
        },
        authorization_response: {
          allowed_client_headers: matchers('Set-cookie'),
          allowed_client_headers_on_success: matchers('Set-cookie'),
          allowed_upstream_headers: matchers('Authorization'),
        },
        path_prefix: '/check',
        server_uri: {
          cluster: `outbound|8000||${AUTHZ_HOST}`,
          timeout: '10s',
          uri: `http://${AUTHZ_HOST}`,
        },
      },
      status_on_error: { code: 'Forbidden' },
      transport_api_version: 'V3',
      with_request_body: {
        allow_partial_message: true,
        max_request_bytes: 2048,
        pack_as_bytes: true,
      },
    });
  });

  it('puts CUSTOM first, before jwt_authn and the AUDIT/DENY/ALLOW RBAC filters (Istio order)', () => {
    const s = scenario(
      `${TWO_POLICIES}---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: { name: jwt, namespace: foo }
spec: { jwtRules: [{ issuer: i, jwksUri: 'https://i.example/jwks' }] }
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-admin, namespace: foo }
spec: { action: DENY, rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] }
`,
      [HTTP_PROVIDER],
    );
    expect(httpFilters(s).map((f) => f.name)).toEqual([
      'envoy.filters.http.rbac',
      'envoy.filters.http.ext_authz',
      'envoy.filters.http.jwt_authn',
      'envoy.filters.http.rbac',
    ]);
  });

  it('uses the deprecated includeHeadersInCheck only without includeRequestHeadersInCheck, and the 600s default timeout', () => {
    const {
      includeRequestHeadersInCheck: _,
      timeout: __,
      ...rest
    } = HTTP_PROVIDER.envoyExtAuthzHttp;
    const [, extAuthz] = httpFilters(
      scenario(TWO_POLICIES, [{ name: 'default', envoyExtAuthzHttp: rest }]),
    );
    const config = typedConfig(extAuthz!);
    expect(config.allowed_headers).toEqual({
      patterns: [
        { exact: 'should-not-include-when-IncludeRequestHeadersInCheck-is-set', ignore_case: true },
      ],
    });
    expect((config.http_service as Obj).server_uri).toMatchObject({ timeout: '600s' });
    expect(log).toEqual([]);
  });
});

describe('CUSTOM with a gRPC provider', () => {
  it('builds ext_authz with grpc_service to the provider cluster, authority its host', () => {
    const [rbac, extAuthz] = httpFilters(scenario(TWO_POLICIES, [GRPC_PROVIDER]));
    expect(Object.keys((typedConfig(rbac!).shadow_rules as Obj).policies as Obj)).toHaveLength(2);
    expect(typedConfig(extAuthz!)).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz',
      failure_mode_allow: true,
      filter_enabled_metadata: ENABLED_WHEN_MATCHED,
      grpc_service: {
        envoy_grpc: { authority: AUTHZ_HOST, cluster_name: `outbound|9000||${AUTHZ_HOST}` },
        timeout: '0.002s',
      },
      status_on_error: { code: 'Forbidden' },
      transport_api_version: 'V3',
      with_request_body: { allow_partial_message: true, max_request_bytes: 4096 },
    });
  });

  it('finds a service named without its namespace when one namespace defines it', () => {
    const provider = {
      name: 'default',
      envoyExtAuthzGrpc: { service: AUTHZ_HOST, port: 9000 },
    };
    const [, extAuthz] = httpFilters(scenario(TWO_POLICIES, [provider]));
    expect(typedConfig(extAuthz!).grpc_service).toEqual({
      envoy_grpc: { authority: AUTHZ_HOST, cluster_name: `outbound|9000||${AUTHZ_HOST}` },
      timeout: '600s',
    });
  });

  it("checks TCP chains too: network RBAC shadow rules with Istio's TCP rules, then network ext_authz", () => {
    // Istio's custom-both-http-tcp-in.yaml, rules 2 and 3: TCP fields kept, HTTP-only ones dropped (a wider match).
    const policy = customPolicy(
      'httpbin-deny',
      'default',
      `
    - from: [{ source: { ipBlocks: [1.2.3.4] } }]
      to: [{ operation: { ports: ['80'] } }]
    - when: [{ key: 'request.headers[:method]', values: [GET] }]`,
    );
    const [rbac, extAuthz, ...rest] = tcpFilters(scenario(policy, [GRPC_PROVIDER]));
    expect(rest).toEqual([]);
    expect(rbac).toEqual({
      name: 'envoy.filters.network.rbac',
      typed_config: parse(`
'@type': type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC
shadow_rules:
  action: DENY
  policies:
    istio-ext-authz-default-ns[foo]-policy[httpbin-deny]-rule[0]:
      permissions: [{ and_rules: { rules: [{ or_rules: { rules: [{ destination_port: 80 }] } }] } }]
      principals:
      - and_ids: { ids: [{ or_ids: { ids: [{ direct_remote_ip: { address_prefix: 1.2.3.4, prefix_len: { value: 32 } } }] } }] }
    istio-ext-authz-default-ns[foo]-policy[httpbin-deny]-rule[1]:
      permissions: [{ and_rules: { rules: [{ any: true }] } }]
      principals: [{ and_ids: { ids: [{ any: true }] } }]
shadow_rules_stat_prefix: istio_ext_authz_
stat_prefix: tcp.
`),
    });
    expect(extAuthz).toEqual({
      name: 'envoy.filters.network.ext_authz',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.filters.network.ext_authz.v3.ExtAuthz',
        failure_mode_allow: true,
        filter_enabled_metadata: {
          ...ENABLED_WHEN_MATCHED,
          filter: 'envoy.filters.network.rbac',
        },
        grpc_service: {
          envoy_grpc: { authority: AUTHZ_HOST, cluster_name: `outbound|9000||${AUTHZ_HOST}` },
          timeout: '0.002s',
        },
        stat_prefix: 'tcp.',
        transport_api_version: 'V3',
      },
    });
    expect(log).toEqual([]);
  });
});

describe('dry-run CUSTOM policies', () => {
  it("go into the RBAC filter's rules, as Istio puts them, the enforced ones staying shadow rules", () => {
    const s = scenario(
      `${customPolicy('enforced', 'default')}---
${customPolicy('trial', 'default', "[{ to: [{ operation: { paths: ['/try'] } }] }]", 'istio.io/dry-run: "true"')}`,
      [GRPC_PROVIDER],
    );
    const [rbac, extAuthz] = httpFilters(s);
    expect(typedConfig(rbac!)).toMatchObject({
      shadow_rules: {
        action: 'DENY',
        policies: {
          'istio-ext-authz-default-ns[foo]-policy[enforced]-rule[0]': pathRule('/httpbin1'),
        },
      },
      rules: {
        action: 'DENY',
        policies: { 'istio-ext-authz-default-ns[foo]-policy[trial]-rule[0]': pathRule('/try') },
      },
    });
    expect(extAuthz!.name).toBe('envoy.filters.http.ext_authz');
  });

  it('alone leave the shadow rules empty', () => {
    const s = scenario(customPolicy('trial', 'default', undefined, 'istio.io/dry-run: "true"'), [
      GRPC_PROVIDER,
    ]);
    expect(typedConfig(httpFilters(s)[0]!).shadow_rules).toEqual({ action: 'DENY', policies: {} });
  });
});
