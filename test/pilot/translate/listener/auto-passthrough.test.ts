// A Gateway server in tls mode AUTO_PASSTHROUGH: one SNI filter chain per in-mesh
// service port (and DestinationRule subset) its hosts cover, matching Istio's mTLS
// ALPNs and forwarding, untouched, to the SNI-DNAT cluster of the same name.
import { describe, expect, it } from 'vitest';
import { ISTIO_MTLS_ALPNS } from '../../../../pilot/translate/listener/auto-passthrough.ts';
import type { EnvoyResource } from '../../../../pilot/translate/types.ts';
import { named, resourcesOf, scenarioFromYaml } from '../support/scenario.ts';
import {
  EASTWEST_PROXY,
  autoPassthroughServer,
  eastwestGateway,
  externalServiceEntry,
} from './eastwest-fixture.ts';

type Obj = Record<string, any>;

const MESH = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  clusterIP: 10.96.1.1
  ports: [{name: http, port: 80}, {name: grpc, port: 9090}, {name: udp-stats, port: 8125, protocol: UDP}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec:
  clusterIP: 10.96.1.2
  ports: [{name: tcp, port: 5432}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: default}
spec:
  host: web.default.svc.cluster.local
  subsets: [{name: v1, labels: {version: v1}}]
---
${externalServiceEntry('api.example.local')}---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: wildcard, namespace: default}
spec:
  hosts: ['*.internal.local']
  location: MESH_INTERNAL
  resolution: NONE
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-all-tcp, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: eastwestgateway}}
  action: DENY
  rules: [{to: [{operation: {ports: ['15443']}}]}]
---
${EASTWEST_PROXY}`;

const gatewayYaml = (servers: string) => `${MESH}---\n${eastwestGateway(servers)}`;
const AUTO = autoPassthroughServer;

function listener(yaml: string, port = 15443): EnvoyResource {
  const s = scenarioFromYaml(yaml, { allowWarnings: true });
  return named(resourcesOf(s, 'lds'), `0.0.0.0_${port}`);
}

const serverNames = (l: EnvoyResource): string[] =>
  (l.filter_chains as Obj[]).flatMap((c) => c.filter_chain_match?.server_names ?? []);

describe('AUTO_PASSTHROUGH gateway server chains', () => {
  it('has a chain per covered in-mesh service port and subset, by mTLS SNI and ALPN, to the cluster of that name', () => {
    const l = listener(gatewayYaml(AUTO('["*.local"]')));
    expect(serverNames(l)).toEqual([
      'outbound_.5432_._.db.data.svc.cluster.local',
      'outbound_.80_._.web.default.svc.cluster.local',
      'outbound_.80_.v1_.web.default.svc.cluster.local',
      'outbound_.9090_._.web.default.svc.cluster.local',
      'outbound_.9090_.v1_.web.default.svc.cluster.local',
    ]);
    const chain = (l.filter_chains as Obj[])[1]!;
    expect(chain).toEqual({
      filter_chain_match: {
        server_names: ['outbound_.80_._.web.default.svc.cluster.local'],
        application_protocols: [
          'istio',
          'istio-peer-exchange',
          'istio-http/1.0',
          'istio-http/1.1',
          'istio-h2',
        ],
      },
      filters: [
        {
          name: 'envoy.filters.network.tcp_proxy',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
            stat_prefix: 'outbound_.80_._.web.default.svc.cluster.local',
            cluster: 'outbound_.80_._.web.default.svc.cluster.local',
          },
        },
      ],
    });
    expect(ISTIO_MTLS_ALPNS).toHaveLength(5);
  });

  it('passes TLS through: tls_inspector reads SNI, no chain terminates TLS', () => {
    const l = listener(gatewayYaml(AUTO('["*.local"]')));
    expect((l.listener_filters as Obj[]).map((f) => f.name)).toEqual([
      'envoy.filters.listener.tls_inspector',
    ]);
    for (const c of l.filter_chains as Obj[]) expect(c.transport_socket).toBeUndefined();
  });

  it('applies none of the gateway\u2019s AuthorizationPolicies, as Istio', () => {
    const l = listener(gatewayYaml(AUTO('["*.local"]')));
    const filters = (l.filter_chains as Obj[]).flatMap((c) => c.filters as Obj[]);
    expect(new Set(filters.map((f) => f.name))).toEqual(
      new Set(['envoy.filters.network.tcp_proxy']),
    );
  });

  it('covers only the hosts of the server, whatever namespace prefix they carry', () => {
    const l = listener(gatewayYaml(AUTO('["other/*.data.svc.cluster.local"]')));
    expect(serverNames(l)).toEqual(['outbound_.5432_._.db.data.svc.cluster.local']);
  });

  it('skips mesh-external services, UDP ports and wildcard hostnames (a partial-wildcard SNI Envoy rejects)', () => {
    const names = serverNames(listener(gatewayYaml(AUTO('["*"]'))));
    expect(names.some((n) => n.includes('api.example.local'))).toBe(false);
    expect(names.some((n) => n.includes('8125'))).toBe(false);
    expect(names.some((n) => n.includes('*'))).toBe(false);
  });

  it('two servers on one port covering the same service give one chain per SNI', () => {
    const l = listener(gatewayYaml(AUTO('["*.local"]') + AUTO('["*"]', 15443, 'tls-all')));
    const names = serverNames(l);
    expect(names).toHaveLength(new Set(names).size);
    expect(names).toHaveLength(5);
  });

  it('sits beside a PASSTHROUGH server on the same port, told apart by SNI', () => {
    const yaml = `${gatewayYaml(
      AUTO('["*.local"]') +
        `  - port: {number: 15443, name: tls-passthrough, protocol: TLS}
    hosts: [secure.example.com]
    tls: {mode: PASSTHROUGH}
`,
    )}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: secure, namespace: istio-system}
spec:
  hosts: [secure.example.com]
  gateways: [eastwest]
  tls:
  - match: [{sniHosts: [secure.example.com]}]
    route: [{destination: {host: db.data.svc.cluster.local}}]
`;
    const chains = listener(yaml).filter_chains as Obj[];
    expect(chains.at(-1)!.filter_chain_match).toEqual({ server_names: ['secure.example.com'] });
    // The PASSTHROUGH chain keeps the gateway's network RBAC; the AUTO_PASSTHROUGH ones have none.
    expect((chains.at(-1)!.filters as Obj[]).map((f) => f.name)).toEqual([
      'envoy.filters.network.rbac',
      'envoy.filters.network.tcp_proxy',
    ]);
    expect(chains).toHaveLength(6);
  });

  it('a server covering no service opens no port', () => {
    const s = scenarioFromYaml(gatewayYaml(AUTO('["*.nowhere.example"]')), {
      allowWarnings: true,
    });
    expect(resourcesOf(s, 'lds')).toEqual([]);
  });
});
