// SNI-DNAT clusters: only a gateway with an AUTO_PASSTHROUGH server gets them, one
// per in-mesh service port and subset, with the DestinationRule's traffic policy
// but no TLS of their own; every other proxy's output stays as it was.
import { describe, expect, it } from 'vitest';
import { generatorsFor } from '../../../../pilot/translate/index.ts';
import { CLUSTER } from '../../../../pilot/translate/common/type-urls.ts';
import type { Proxy } from '../../../../pilot/model/proxy.ts';
import type { PushContext } from '../../../../pilot/model/types.ts';
import type { EnvoyResource } from '../../../../pilot/translate/types.ts';
import { TYPES, named, scenarioFromYaml } from '../support/scenario.ts';
import {
  EASTWEST_PROXY,
  autoPassthroughServer,
  eastwestGateway,
  externalServiceEntry,
  routerProxyDoc,
} from '../listener/eastwest-fixture.ts';

type Obj = Record<string, any>;

const MESH = `
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  clusterIP: 10.96.1.1
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: udp-stats, port: 8125, protocol: UDP}]
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: default, labels: {app: web, version: v1, security.istio.io/tlsMode: istio}}
spec: {serviceAccountName: web, containers: [{name: web}, {name: istio-proxy}]}
status: {phase: Running, podIP: 10.1.1.1}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-x, namespace: default, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints:
- addresses: [10.1.1.1]
  conditions: {ready: true}
  targetRef: {kind: Pod, name: web-1, namespace: default}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: web, namespace: default}
spec:
  host: web.default.svc.cluster.local
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    connectionPool: {tcp: {maxConnections: 10}}
    outlierDetection: {consecutive5xxErrors: 3, interval: 5s, baseEjectionTime: 30s}
    tls: {mode: ISTIO_MUTUAL}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy: {loadBalancer: {simple: RANDOM}}
---
${externalServiceEntry('api.example.com')}---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ingress, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: ['*']
    tls: {mode: PASSTHROUGH}
---
${EASTWEST_PROXY}---
${routerProxyDoc('ingress', 'ingressgateway', '10.3.0.2')}---
kind: TestProxy
name: sidecar
node:
  id: sidecar~10.1.9.9~client-1.default~default.svc.cluster.local
  metadata: {NAMESPACE: default, LABELS: {app: client}}
`;

const EASTWEST_GATEWAY = `---\n${eastwestGateway(autoPassthroughServer('["*.local"]'))}`;

const withEastwest = scenarioFromYaml(MESH + EASTWEST_GATEWAY, { allowWarnings: true });
const without = scenarioFromYaml(MESH);

function proxyOf(s: { proxies: { name: string; proxy: Proxy }[] }, name: string): Proxy {
  return s.proxies.find((p) => p.name === name)!.proxy;
}

function clusters(push: PushContext, proxy: Proxy, names: string[] = []): EnvoyResource[] {
  return generatorsFor(proxy)
    .get(CLUSTER)!
    .generate(push, proxy, names)
    .map((r) => r.resource);
}

const sniDnatNames = (list: EnvoyResource[]) =>
  list.map((c) => String(c.name)).filter((n) => n.startsWith('outbound_.'));

describe('SNI-DNAT clusters', () => {
  const eastwest = proxyOf(withEastwest, 'eastwest');
  const cds = clusters(withEastwest.push, eastwest);

  it('exist for each in-mesh non-UDP service port and subset of a gateway with an AUTO_PASSTHROUGH server, after BlackHoleCluster', () => {
    expect(sniDnatNames(cds)).toEqual([
      'outbound_.80_._.web.default.svc.cluster.local',
      'outbound_.80_.v1_.web.default.svc.cluster.local',
    ]);
    const names = cds.map((c) => String(c.name));
    expect(names.indexOf('BlackHoleCluster')).toBeLessThan(
      names.indexOf('outbound_.80_._.web.default.svc.cluster.local'),
    );
  });

  it('take the DestinationRule traffic policy but no TLS, while the outbound clusters keep ISTIO_MUTUAL', () => {
    const main = named(cds, 'outbound_.80_._.web.default.svc.cluster.local') as Obj;
    expect(main).toMatchObject({
      type: 'EDS',
      eds_cluster_config: { service_name: 'outbound_.80_._.web.default.svc.cluster.local' },
      lb_policy: 'ROUND_ROBIN',
      circuit_breakers: { thresholds: [{ max_connections: { value: 10 } }] },
      outlier_detection: { consecutive_5xx: { value: 3 } },
      metadata: {
        filter_metadata: { istio: { services: [{ host: 'web.default.svc.cluster.local' }] } },
      },
    });
    expect(main.transport_socket).toBeUndefined();
    expect(main.transport_socket_matches).toBeUndefined();
    expect(main.filters).toBeUndefined();
    const subset = named(cds, 'outbound_.80_.v1_.web.default.svc.cluster.local') as Obj;
    expect(subset.lb_policy).toBe('RANDOM');
    expect(subset.transport_socket).toBeUndefined();
    expect(subset.metadata.filter_metadata.istio.subset).toBe('v1');
    const outbound = named(cds, 'outbound|80||web.default.svc.cluster.local') as Obj;
    expect(outbound.transport_socket.typed_config.sni).toBe(
      'outbound_.80_._.web.default.svc.cluster.local',
    );
  });

  it('are served by name too', () => {
    expect(
      clusters(withEastwest.push, eastwest, ['outbound_.80_.v1_.web.default.svc.cluster.local']),
    ).toHaveLength(1);
  });

  it('are not built for a gateway without an AUTO_PASSTHROUGH server, in the same push and namespace', () => {
    // Asked after the eastwest gateway, whose list is memoized per push: it must not leak.
    const ingress = proxyOf(withEastwest, 'ingress');
    expect(sniDnatNames(clusters(withEastwest.push, ingress))).toEqual([]);
  });

  it('leave every other proxy\u2019s resources exactly as they were without the eastwest Gateway', () => {
    for (const name of ['ingress', 'sidecar']) {
      for (const typeUrl of Object.values(TYPES)) {
        const generate = (s: typeof without) =>
          JSON.stringify(
            generatorsFor(proxyOf(s, name)).get(typeUrl)!.generate(s.push, proxyOf(s, name), []),
          );
        expect(generate(withEastwest), `${name} ${typeUrl}`).toBe(generate(without));
      }
    }
  });
});
