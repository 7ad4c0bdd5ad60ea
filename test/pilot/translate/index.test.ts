// The generator registry: the right family per proxy, one dispatching generator per
// type for the ADS server, and requested names honoured.
import { describe, expect, it } from 'vitest';
import { parseProxy } from '../../../pilot/model/proxy.ts';
import { familyOf, generatorsFor, meshGenerators } from '../../../pilot/translate/index.ts';
import { TypeUrl } from '../../../api/envoy/registry.ts';
import {
  CLUSTER,
  CLUSTER_LOAD_ASSIGNMENT,
  LISTENER,
  ROUTE_CONFIGURATION,
} from '../../../pilot/translate/common/type-urls.ts';
import { loadScenario } from './support/scenario.ts';

const sidecar = parseProxy({
  id: 'sidecar~10.1.0.1~productpage-v1-7d9b8.default~default.svc.cluster.local',
});
const router = parseProxy({ id: 'router~10.2.0.1~gw.istio-system~istio-system.svc.cluster.local' });
const grpc = parseProxy({
  id: 'sidecar~10.1.0.80~client.default~default.svc.cluster.local',
  metadata: { GENERATOR: 'grpc' },
});

describe('generator registry', () => {
  it('picks the family from the proxy type and generator', () => {
    expect([familyOf(sidecar), familyOf(router), familyOf(grpc)]).toEqual([
      'sidecar',
      'router',
      'grpc',
    ]);
  });

  it('serves LDS, RDS, CDS and EDS to every family, and SDS credentials to Envoy proxies', () => {
    const four = [CLUSTER, CLUSTER_LOAD_ASSIGNMENT, LISTENER, ROUTE_CONFIGURATION];
    for (const p of [sidecar, router])
      expect([...generatorsFor(p).keys()].sort()).toEqual([...four, TypeUrl.Secret].sort());
    // Proxyless gRPC takes its certificates from its bootstrap's providers, not SDS.
    expect([...generatorsFor(grpc).keys()].sort()).toEqual(four.sort());
  });

  it('dispatches per proxy through one generator per type', () => {
    const { push } = loadScenario('bookinfo');
    const lds = meshGenerators().find((g) => g.typeUrl === LISTENER)!;
    expect(lds.generate(push, sidecar, []).map((r) => r.name)).toContain('virtualOutbound');
    expect(lds.generate(push, router, [])).toEqual([]); // no Gateway selects this router
    expect(lds.generate(push, grpc, []).map((r) => r.name)).toContain(
      'reviews.default.svc.cluster.local:9080',
    );
  });

  it('returns only the requested names, and an empty assignment for an unknown cluster', () => {
    const { push } = loadScenario('bookinfo');
    const cds = generatorsFor(sidecar)
      .get(CLUSTER)!
      .generate(push, sidecar, ['BlackHoleCluster', 'nope']);
    expect(cds.map((r) => r.name)).toEqual(['BlackHoleCluster']);
    const eds = generatorsFor(sidecar)
      .get(CLUSTER_LOAD_ASSIGNMENT)!
      .generate(push, sidecar, [
        'outbound|9080|v9|reviews.default.svc.cluster.local',
        'outbound|1|x|nothing.example',
      ]);
    expect(eds.map((r) => [r.name, r.resource.endpoints])).toEqual([
      ['outbound|9080|v9|reviews.default.svc.cluster.local', []],
      ['outbound|1|x|nothing.example', []],
    ]);
    const rds = generatorsFor(sidecar)
      .get(ROUTE_CONFIGURATION)!
      .generate(push, sidecar, ['9080', 'http.80']);
    expect(rds.map((r) => r.name)).toEqual(['9080']);
  });

  it('names each resource as the resource names itself', () => {
    const { push } = loadScenario('bookinfo');
    for (const g of generatorsFor(sidecar).values()) {
      for (const r of g.generate(push, sidecar, []))
        expect(r.name).toBe(r.resource.name ?? r.resource.cluster_name);
    }
  });
});
