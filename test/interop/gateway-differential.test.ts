// Differential xDS for an AUTO_PASSTHROUGH gateway: Istio's pilot-discovery and
// Petrel's pilot read this scenario folder, one probe asks each for everything the
// gateway workload (router, labels istio=eastwestgateway) gets, and the parts whose
// meaning must agree are compared. istio-differential.test.ts probes only a sidecar
// and a proxyless client, so the gateway's view is compared here; both pilots read
// only the YAML files of scenarios/auto-passthrough.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPilot, type RunningPilot } from '../../pilot/main.ts';
import { probeXds, type ProbeNode, type XdsSnapshot } from './support/ads-probe.ts';
import { startIstioPilot, type IstioPilot } from './support/istio-pilot.ts';
import { ensurePeer } from './support/peers.ts';
import { byKey, clusterViews, endpointViews } from './support/xds-views.ts';

type Obj = Record<string, any>;

const CONFIG_DIR = join(dirname(fileURLToPath(import.meta.url)), 'scenarios', 'auto-passthrough');

/** The east-west gateway's pod, as Istio's gateway injection describes it. */
const GATEWAY: ProbeNode = {
  id: 'router~127.0.0.2~eastwest-1.istio-system~istio-system.svc.cluster.local',
  cluster: 'istio-eastwestgateway.istio-system',
  metadata: {
    NAMESPACE: 'istio-system',
    CLUSTER_ID: 'Kubernetes',
    ISTIO_VERSION: '1.31.0',
    INSTANCE_IPS: '127.0.0.2',
    SERVICE_ACCOUNT: 'istio-eastwestgateway',
    WORKLOAD_NAME: 'istio-eastwestgateway',
    LABELS: { istio: 'eastwestgateway', app: 'istio-eastwestgateway' },
  },
};

const isSniDnat = (name: string) => name.startsWith('outbound_.');

/** Each filter chain: what it matches (SNI, ALPN, transport) and where tcp_proxy sends it. */
function chainViews(snap: XdsSnapshot): Record<string, Obj[]> {
  return byKey(
    [...snap.listeners].map(([name, l]: [string, Obj]) => {
      const chains = (l.filter_chains ?? []).map((c: Obj) => {
        const m = c.filter_chain_match ?? {};
        const tcp = (c.filters ?? []).find((f: Obj) =>
          String(f.typed_config?.['@type']).endsWith('.TcpProxy'),
        )?.typed_config;
        return {
          server_names: [...(m.server_names ?? [])].sort(),
          application_protocols: [...(m.application_protocols ?? [])].sort(),
          transport_protocol: m.transport_protocol ?? '',
          terminates_tls: c.transport_socket !== undefined,
          filters: (c.filters ?? []).map((f: Obj) => f.name),
          tcp_proxy: tcp ? { cluster: tcp.cluster, stat_prefix: tcp.stat_prefix } : undefined,
        };
      });
      chains.sort((a: Obj, b: Obj) => (a.server_names.join() < b.server_names.join() ? -1 : 1));
      return [
        name,
        [{ listener_filters: (l.listener_filters ?? []).map((f: Obj) => f.name) }, ...chains],
      ];
    }),
  );
}

/** Endpoint views without empty localities: Istio keeps a locality whose endpoints its mTLS filter removed, which routes nowhere. */
function endpointsWithoutEmptyLocalities(snap: XdsSnapshot): Record<string, Obj> {
  const views = endpointViews(snap);
  for (const view of Object.values(views))
    view.localities = view.localities.filter((l: Obj) => l.endpoints.length > 0);
  return views;
}

const only = <T>(views: Record<string, T>, keep: (name: string) => boolean) =>
  Object.fromEntries(Object.entries(views).filter(([name]) => keep(name)));

let istio: IstioPilot | undefined;
let petrel: RunningPilot | undefined;
let istioSnap: XdsSnapshot;
let petrelSnap: XdsSnapshot;

beforeAll(async () => {
  istio = await startIstioPilot(ensurePeer('pilot-discovery'), CONFIG_DIR);
  petrel = await startPilot({
    configDir: CONFIG_DIR,
    host: '127.0.0.1',
    xdsPort: 0,
    monitoringPort: 0,
    debounceMs: 20,
    debounceMaxMs: 200,
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
  istioSnap = await probeXds(istio.xdsAddress, GATEWAY, { style: 'envoy' });
  petrelSnap = await probeXds(`127.0.0.1:${petrel.xdsPort}`, GATEWAY, { style: 'envoy' });
});

afterAll(async () => {
  await petrel?.stop();
  await istio?.stop();
});

describe('AUTO_PASSTHROUGH gateway: Petrel serves what Istio serves', () => {
  it('has the same SNI filter chains: mTLS SNI and ALPNs, no TLS context, no RBAC, tcp_proxy to the same-named cluster', () => {
    const istioChains = chainViews(istioSnap);
    expect(Object.keys(istioChains)).toEqual(['0.0.0.0_15443']);
    expect(chainViews(petrelSnap)).toEqual(istioChains);
  });

  it('has the same SNI-DNAT clusters, with the same type, LB policy, circuit breakers and outlier detection', () => {
    const istioClusters = only(clusterViews(istioSnap), isSniDnat);
    expect(Object.keys(istioClusters)).not.toEqual([]);
    expect(only(clusterViews(petrelSnap), isSniDnat)).toEqual(istioClusters);
  });

  it('gives its SNI-DNAT clusters no transport socket of their own', () => {
    for (const snap of [istioSnap, petrelSnap])
      for (const [name, c] of snap.clusters as Map<string, Obj>)
        if (isSniDnat(name)) {
          expect(c.transport_socket, name).toBeUndefined();
          expect(c.transport_socket_matches, name).toBeUndefined();
        }
  });

  it('has the same endpoints per SNI-DNAT cluster: the mTLS workloads only', () => {
    const istioEndpoints = only(endpointsWithoutEmptyLocalities(istioSnap), isSniDnat);
    expect(Object.keys(istioEndpoints)).not.toEqual([]);
    expect(only(endpointsWithoutEmptyLocalities(petrelSnap), isSniDnat)).toEqual(istioEndpoints);
  });

  it('has the same clusters and endpoints otherwise', () => {
    expect(clusterViews(petrelSnap)).toEqual(clusterViews(istioSnap));
    expect(endpointsWithoutEmptyLocalities(petrelSnap)).toEqual(
      endpointsWithoutEmptyLocalities(istioSnap),
    );
  });
});
