// Shared by the security filter tests: Istio policy YAML → the filters pilot builds
// (pilot/translate/security) → a real Petrel proxy listener in front of a real
// backend. The peer's mTLS identity is stubbed through the telemetry hook, which
// runs before the filters, from an `x-test-peer` request header.
import { parseAllDocuments } from 'yaml';
import type { ConfigObject } from '../../../../api/config/object.ts';
import { validateConfig } from '../../../../api/istio/validate.ts';
import type {
  AuthorizationPolicy,
  LocalRateLimit,
  RequestAuthentication,
} from '../../../../pilot/model/authorization.ts';
import { jwtAuthnFilter } from '../../../../pilot/translate/security/jwt-authn.ts';
import { localRateLimitFilter } from '../../../../pilot/translate/security/local-ratelimit.ts';
import { rbacFilters } from '../../../../pilot/translate/security/rbac.ts';
import type { ProxyDataPlane } from '../../../../sidecar/proxy/data-plane.ts';
import type { RequestRecord } from '../../../../sidecar/proxy/record.ts';
import type { TelemetryHooks } from '../../../../sidecar/proxy/runtime.ts';
import { httpListener, ROUTER, startProxy, staticCluster } from '../support/envoy.ts';

type Obj = Record<string, unknown>;

// A port free right now, for a process or server told its port before it binds.
export { freePort } from '../../../../bench/support/free-port.ts';

/** Validated config objects from YAML documents; a fixture Petrel rejects fails the test. */
export function policies(yaml: string): ConfigObject[] {
  return parseAllDocuments(yaml).map((d) => {
    const result = validateConfig(d.toJS() as ConfigObject);
    if (result.errors.length > 0) throw new Error(`fixture invalid: ${result.errors.join('; ')}`);
    return result.object;
  });
}

/** An AuthorizationPolicy in namespace default, as YAML; `spec` is indented by the caller. */
export function policy(name: string, spec: string, annotations = ''): string {
  return `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ${name}, namespace: default${annotations ? `, annotations: { ${annotations} }` : ''} }
spec:
${spec}`;
}

/** The security HTTP filters pilot builds for these objects, in pilot's order. */
export function securityFilters(yaml: string, port?: number): Obj[] {
  const objs = policies(yaml);
  const authz = objs.filter((o) => o.kind === 'AuthorizationPolicy') as AuthorizationPolicy[];
  const by = (a: string) => authz.filter((p) => (p.spec.action ?? 'ALLOW') === a);
  const jwt = jwtAuthnFilter(
    objs.filter((o) => o.kind === 'RequestAuthentication') as RequestAuthentication[],
  );
  const limit = localRateLimitFilter(
    objs.filter((o) => o.kind === 'LocalRateLimit') as LocalRateLimit[],
    port,
  );
  return [
    ...(jwt ? [jwt] : []),
    ...rbacFilters({
      allow: by('ALLOW'),
      deny: by('DENY'),
      audit: by('AUDIT'),
      custom: by('CUSTOM'),
    }),
    ...(limit ? [limit] : []),
  ];
}

/** Sets the record's peer identity from `x-test-peer` (what the mTLS data path records). */
export const peerStub: TelemetryHooks = {
  onRequestHeaders(rec: RequestRecord, headers) {
    const peer = headers['x-test-peer'];
    if (typeof peer === 'string') rec.peerPrincipal = peer;
    delete headers['x-test-peer'];
  },
  onResponseHeaders() {},
  onTcpConnected() {},
};

export interface SecurityProxy {
  dp: ProxyDataPlane;
  port: number;
  url(path?: string): string;
  records: RequestRecord[];
}

/** A proxy whose one listener runs `filters` then routes (routes given, or all to the backend). */
export async function securityProxy(
  backendPort: number,
  filters: Obj[],
  opts: { hcm?: Obj; port?: number; routes?: Obj[] } = {},
): Promise<SecurityProxy> {
  const records: RequestRecord[] = [];
  const p = await startProxy(
    {
      clusters: [staticCluster('backend', [['127.0.0.1', backendPort]])],
      listeners: [
        httpListener(
          'sec',
          {
            route_config: {
              name: 'local',
              virtual_hosts: [
                {
                  name: 'all',
                  domains: ['*'],
                  routes: opts.routes ?? [
                    { match: { prefix: '/' }, route: { cluster: 'backend' } },
                  ],
                },
              ],
            },
            http_filters: [...filters, ROUTER],
            ...opts.hcm,
          },
          opts.port ?? 0,
        ),
      ],
    },
    { telemetry: peerStub, onRequestComplete: (r) => records.push(r) },
  );
  return { dp: p.dp, port: p.port(), url: (path = '/') => p.url(path), records };
}
